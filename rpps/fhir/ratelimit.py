"""Requests per API key and per second, counted in the cache shared by every server process (Redis
in production, CACHE_REDIS_URL; local memory for a single process): the limit is per key whichever
process serves it, and counting a request writes nothing to the database (public reads only read)."""

from django.core.cache import cache

WINDOW_TTL = 5  # seconds a count is kept: a second's count is only read during that second


def hit(key_id: int, second: int) -> int:
    """Counts one request of the key in ``second``; the requests of that second so far (atomic INCR)."""
    name = f"fhir-rate:{key_id}:{second}"
    cache.add(name, 0, timeout=WINDOW_TTL)
    try:
        return cache.incr(name)
    except ValueError:  # expired between add and incr: this request starts the count
        cache.add(name, 1, timeout=WINDOW_TTL)
        return 1
