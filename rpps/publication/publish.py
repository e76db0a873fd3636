"""Writing a publication: the three extraction zips, atomically, with bounded memory.

Files are written in a hidden directory beside the published ones and renamed into place when
complete (one `rename`, atomic on one filesystem): a crash or a kill leaves the previous publication
served and whole; the leftover directory is removed by the next run. One publisher at a time (a
lock file). The last `PUBLICATION_KEEP` publications are kept.

Lines are built in this thread while a second thread compresses and writes them (zlib releases the
GIL), so the database reading, the formatting and the compression use both cores.
"""

import fcntl
import json
import os
import queue
import shutil
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from . import formats, rows

MANIFEST = "publication.json"
TEMP_PREFIX = ".en-cours-"
BATCH_LINES = 5000


class PublicationError(Exception):
    pass


def root() -> Path:
    path = Path(settings.PUBLICATION_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Publication:
    stamp: str
    path: Path
    manifest: dict

    @property
    def published_at(self):
        return timezone.datetime.fromisoformat(self.manifest["published_at"])

    def zip_path(self, name: str) -> Path:
        return self.path / formats.EXTRACTIONS[name].zip_name(self.stamp)


def publications() -> list[Publication]:
    """Complete publications, newest first."""
    found = []
    for path in root().iterdir():
        if path.name.startswith(".") or not (path / MANIFEST).exists():
            continue
        found.append(Publication(path.name, path, json.loads((path / MANIFEST).read_text(encoding="utf-8"))))
    return sorted(found, key=lambda p: p.stamp, reverse=True)


def latest() -> Publication | None:
    found = publications()
    return found[0] if found else None


class _ZipWriter:
    """Compresses and writes batches of lines in a thread while the caller builds the next ones."""

    def __init__(self, archive: zipfile.ZipFile, member: str, moment):
        info = zipfile.ZipInfo(member, date_time=moment.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info._compresslevel = archive.compresslevel  # Python 3.11 reads the level from here
        info.external_attr = 0o644 << 16  # readable by all once unzipped, like any published file
        self.stream = archive.open(info, "w", force_zip64=True)
        self.queue: queue.Queue = queue.Queue(maxsize=8)  # bounded: memory stays bounded too
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while (chunk := self.queue.get()) is not None:
                self.stream.write(chunk)
        except BaseException as exc:  # re-raised in the caller's thread
            self.error = exc
            while self.queue.get() is not None:
                pass

    def write(self, text: str):
        if self.error:
            raise self.error
        self.queue.put(text.encode("utf-8"))

    def close(self):
        self.queue.put(None)
        self.thread.join()
        if self.error:
            raise self.error
        self.stream.close()


def _write_file(archive, file_format: formats.FileFormat, moment, lines, progress) -> dict:
    stamp = moment.strftime("%Y%m%d%H%M")
    writer = _ZipWriter(archive, file_format.member_name(stamp), moment)
    line = file_format.line
    count = 0
    batch = [file_format.header_line()]
    try:
        for values in lines:
            batch.append(line(values))
            if len(batch) >= BATCH_LINES:
                writer.write("".join(batch))
                count += len(batch)
                if progress is not None:
                    progress(len(batch))
                batch = []
        writer.write("".join(batch))
        count += len(batch)
        if progress is not None:
            progress(len(batch))
    finally:
        writer.close()
    return {"name": file_format.member_name(stamp), "lines": count - 1}


def publish(*, now=None, progress: bool = False, keep: int | None = None) -> Publication:
    """Writes a new publication of the three extractions and returns it."""
    keep = settings.PUBLICATION_KEEP if keep is None else keep
    base = root()
    with open(base / ".verrou", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise PublicationError("Une publication est déjà en cours.") from exc
        for stale in base.glob(TEMP_PREFIX + "*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a crash: never served
        moment = timezone.localtime(now)
        stamp = moment.strftime("%Y%m%d%H%M")
        final = base / stamp
        if final.exists():
            raise PublicationError(f"Une publication existe déjà pour {stamp} : attendez la minute suivante.")
        temp = base / f"{TEMP_PREFIX}{stamp}"
        temp.mkdir()
        names = rows.Labels()
        bar = _progress_bar() if progress else None
        manifest = {"stamp": stamp, "published_at": moment.isoformat(), "extractions": []}
        try:
            for extraction in formats.EXTRACTIONS.values():
                zip_path = temp / extraction.zip_name(stamp)
                members = []
                with zipfile.ZipFile(
                    zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=settings.PUBLICATION_ZLIB_LEVEL
                ) as archive:
                    for file_format in extraction.files:
                        if bar is not None:
                            bar.set_description(file_format.stem)
                        lines = rows.ROWS[file_format.stem](names)
                        members.append(
                            _write_file(archive, file_format, moment, lines, bar.update if bar is not None else None)
                        )
                with zipfile.ZipFile(zip_path) as archive:
                    sizes = {info.filename: info.file_size for info in archive.infolist()}
                for member in members:
                    member["size"] = sizes[member["name"]]
                manifest["extractions"].append(
                    {"name": extraction.name, "zip": zip_path.name, "size": zip_path.stat().st_size, "files": members}
                )
            (temp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
            for path in temp.iterdir():
                with open(path, "rb") as handle:
                    os.fsync(handle.fileno())
            os.rename(temp, final)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        finally:
            if bar is not None:
                bar.close()
        for old in publications()[keep:]:
            shutil.rmtree(old.path, ignore_errors=True)
        return Publication(stamp, final, manifest)


def _progress_bar():
    from tqdm import tqdm

    return tqdm(unit=" lignes", unit_scale=True, desc="publication")
