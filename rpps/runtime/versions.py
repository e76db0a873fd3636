"""Version numbers of shared data, in the database: a process caches what it built from the data
with the version it saw, and looks again at most every SHARED_CACHE_CHECK_SECONDS. A change made by
any process (a command, a worker, another server) is seen by all within that delay."""

import time

from django.conf import settings
from django.db.models import F

from .models import SharedVersion

_seen: dict[str, tuple[int, float]] = {}  # name -> (version, when it was read)


def bump(name: str) -> int:
    """The data changed: every process rebuilds its cache (call it in the transaction that changes it)."""
    SharedVersion.objects.get_or_create(name=name)
    SharedVersion.objects.filter(name=name).update(value=F("value") + 1)
    value = SharedVersion.objects.get(name=name).value
    _seen[name] = (value, time.monotonic())
    return value


def current(name: str) -> int:
    """The version this process should build from (read again once the check delay has passed)."""
    value, when = _seen.get(name, (None, 0.0))
    now = time.monotonic()
    if value is None or now - when >= settings.SHARED_CACHE_CHECK_SECONDS:
        value = SharedVersion.objects.filter(name=name).values_list("value", flat=True).first() or 0
        _seen[name] = (value, now)
    return value


def forget() -> None:
    """Tests: the next `current` reads the database."""
    _seen.clear()
