"""Shared files (publications, $export files) through Django's storage API: the local file system
by default, S3-compatible object storage in production (settings.STORAGES "publications" and
"exports"). What the storage API leaves out — writing a large file as a stream, reading a byte range
without fetching the whole object, removing a folder — is here, once for both kinds."""

import os
import shutil
from collections.abc import Iterator

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

CHUNK = 1 << 20


def storage(alias: str) -> Storage:
    return storages[alias]


def _is_local(store: Storage) -> bool:
    return isinstance(store, FileSystemStorage)


def open_for_writing(store: Storage, name: str):
    """A binary file written as a stream (an S3 multipart upload, or a local file), at `name` exactly."""
    if _is_local(store):
        path = store.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return open(path, "wb")  # noqa: SIM115 — the caller closes it
    return store.open(name, "wb")


def put(store: Storage, name: str, local_path) -> None:
    """Stores a local file at `name` (replacing any file there)."""
    if _is_local(store):
        path = store.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(local_path, path + ".tmp")
        os.replace(path + ".tmp", path)  # readers never see half a file
        return
    with open(local_path, "rb") as handle:
        store.save(name, File(handle))


def read(store: Storage, name: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
    """The file's bytes from `start` (`length` of them, or to the end), in chunks."""
    if not _is_local(store):
        from storages.utils import clean_name

        key = store._normalize_name(clean_name(name))  # the object key, with the storage's prefix (its own rule)
        options = {}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            options["Range"] = f"bytes={start}-{end}"
        body = store.bucket.Object(key).get(**options)["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()
        return
    with open(store.path(name), "rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining is None or remaining > 0:
            chunk = handle.read(CHUNK if remaining is None else min(CHUNK, remaining))
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk


def listdir(store: Storage, prefix: str = "") -> tuple[list[str], list[str]]:
    """(folders, files) under a folder; nothing (not an error) when it does not exist."""
    try:
        return store.listdir(prefix)
    except FileNotFoundError:
        return [], []


def remove_folder(store: Storage, prefix: str) -> None:
    """Removes every file under a folder (object storage has no folders: its keys are removed)."""
    folders, files = listdir(store, prefix)
    for name in files:
        store.delete(f"{prefix}/{name}")
    for folder in folders:
        remove_folder(store, f"{prefix}/{folder}")
    if _is_local(store):
        shutil.rmtree(store.path(prefix), ignore_errors=True)
