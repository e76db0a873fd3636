"""Writing a publication: the three extraction zips, with bounded memory, into the shared
publication storage (settings.STORAGES["publications"]: a folder, or object storage).

The zips are written in the worker's scratch folder (WORK_DIR), then stored under `<stamp>/`, and the
manifest `<stamp>/publication.json` last: only a folder with a manifest is a publication, so a crash
or a kill leaves the previous publication served and whole, on every server; the incomplete folder
is removed by the next run. One publisher at a time, whatever the machine (`runtime.locks`). The last
`PUBLICATION_KEEP` publications are kept.

Lines are built in this thread while a second thread compresses and writes them (zlib releases the
GIL), so the database reading, the formatting and the compression use both cores.
"""

import json
import queue
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from rpps.registry import identifiers
from rpps.runtime import files, locks

from . import formats, rows

MANIFEST = "publication.json"
BATCH_LINES = 5000


class PublicationError(Exception):
    pass


def store():
    return files.storage("publications")


@dataclass
class Publication:
    stamp: str
    manifest: dict

    @property
    def published_at(self):
        return timezone.datetime.fromisoformat(self.manifest["published_at"])

    def zip_name(self, name: str) -> str:
        return formats.EXTRACTIONS[name].zip_name(self.stamp)

    def stored_name(self, filename: str) -> str:
        return f"{self.stamp}/{filename}"

    def size(self, filename: str) -> int:
        return next(e["size"] for e in self.manifest["extractions"] if e["zip"] == filename)


def _manifest(stamp: str) -> dict | None:
    try:
        with store().open(f"{stamp}/{MANIFEST}", "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (FileNotFoundError, OSError, ValueError):
        return None


def _stamps() -> list[str]:
    folders, _ = files.listdir(store(), "")
    return sorted((f for f in folders if identifiers.ascii_digits(f)), reverse=True)


def publications() -> list[Publication]:
    """Complete publications, newest first."""
    found = []
    for stamp in _stamps():
        manifest = _manifest(stamp)
        if manifest is not None:
            found.append(Publication(stamp, manifest))
    return found


def latest() -> Publication | None:
    for stamp in _stamps():  # newest first: usually one manifest read
        manifest = _manifest(stamp)
        if manifest is not None:
            return Publication(stamp, manifest)
    return None


class _ZipWriter:
    """Compresses and writes batches of lines in a thread while the caller builds the next ones.

    Not background work: the thread lives inside one publication (a job in a worker, or the
    command), is joined before the zip is closed, and an interrupted publication is run again whole."""

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


def publish(*, now=None, progress: bool = False, keep: int | None = None, on_lines=None) -> Publication:
    """Writes a new publication of the three extractions and returns it."""
    keep = settings.PUBLICATION_KEEP if keep is None else keep
    try:
        with locks.exclusive("publication"):
            return _publish(now, progress, keep, on_lines)
    except locks.Busy as exc:
        raise PublicationError("Une publication est déjà en cours.") from exc


def _publish(now, progress: bool, keep: int, on_lines) -> Publication:
    moment = timezone.localtime(now)
    stamp = moment.strftime("%Y%m%d%H%M")
    complete = {p.stamp for p in publications()}
    if stamp in complete:
        raise PublicationError(f"Une publication existe déjà pour {stamp} : attendez la minute suivante.")
    for stale in set(_stamps()) - complete:
        files.remove_folder(store(), stale)  # left by a crash: never served
    names = rows.Labels()
    bar = _progress_bar() if progress else None
    written = 0

    def count(lines):
        nonlocal written
        written += lines
        if bar is not None:
            bar.update(lines)
        if on_lines is not None:
            on_lines(written)

    manifest = {"stamp": stamp, "published_at": moment.isoformat(), "extractions": []}
    settings.WORK_DIR.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=settings.WORK_DIR, prefix="publication-") as temp:
            for extraction in formats.EXTRACTIONS.values():
                zip_path = Path(temp) / extraction.zip_name(stamp)
                members = []
                with zipfile.ZipFile(
                    zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=settings.PUBLICATION_ZLIB_LEVEL
                ) as archive:
                    for file_format in extraction.files:
                        if bar is not None:
                            bar.set_description(file_format.stem)
                        lines = rows.ROWS[file_format.stem](names)
                        members.append(_write_file(archive, file_format, moment, lines, count))
                with zipfile.ZipFile(zip_path) as archive:
                    sizes = {info.filename: info.file_size for info in archive.infolist()}
                for member in members:
                    member["size"] = sizes[member["name"]]
                manifest["extractions"].append(
                    {"name": extraction.name, "zip": zip_path.name, "size": zip_path.stat().st_size, "files": members}
                )
                files.put(store(), f"{stamp}/{zip_path.name}", zip_path)
                zip_path.unlink()
            # The manifest last: from now on every server serves this publication.
            store().save(
                f"{stamp}/{MANIFEST}", ContentFile(json.dumps(manifest, ensure_ascii=False, indent=2).encode())
            )
    except BaseException:
        files.remove_folder(store(), stamp)
        raise
    finally:
        if bar is not None:
            bar.close()
    for old in publications()[keep:]:
        files.remove_folder(store(), old.stamp)
    return Publication(stamp, manifest)


def _progress_bar():
    from tqdm import tqdm

    return tqdm(unit=" lignes", unit_scale=True, desc="publication")
