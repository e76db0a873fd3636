"""One holder at a time, across every process and server: a PostgreSQL advisory lock (session
level, released when the holder's connection ends, even if it is killed); on SQLite (one machine)
a lock file."""

import contextlib
import fcntl
import zlib

from django.conf import settings
from django.db import connection


class Busy(Exception):
    pass


@contextlib.contextmanager
def exclusive(name: str):
    """Held for the block; Busy at once if another process holds it."""
    if connection.vendor == "postgresql":
        key = zlib.crc32(f"rpps:{name}".encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if not cursor.fetchone()[0]:
                raise Busy(name)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    with open(settings.VAR_DIR / f".verrou-{name}", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise Busy(name) from exc
        yield
