"""Request rates, counted in the cache every server process shares (Redis in production, CACHE_REDIS_URL;
local memory for a single process): a limit holds whichever process serves the request, and counting
writes nothing to the database (public reads only read).

A sliding window: the count of the current window plus the previous window's, weighted by how much of it
still overlaps the last ``period`` seconds. A fixed window let twice the limit through across a boundary
(the limit at the end of one second, the limit again at the start of the next).
"""

import math
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render


def _count(name: str, ttl: int) -> int:
    cache.add(name, 0, timeout=ttl)
    try:
        return cache.incr(name)
    except ValueError:  # expired between add and incr: this request starts the count
        cache.add(name, 1, timeout=ttl)
        return 1


def hit(scope: str, ident, limit: int, period: int = 1, *, now: float | None = None) -> tuple[bool, int]:
    """Counts one request of ``ident`` in ``scope``: (allowed, seconds to wait before the next one)."""
    now = time.time() if now is None else now
    window = int(now // period)
    elapsed = (now - window * period) / period
    ttl = 3 * period
    current = _count(f"rate:{scope}:{ident}:{window}", ttl)
    previous = cache.get(f"rate:{scope}:{ident}:{window - 1}", 0)
    estimate = previous * (1 - elapsed) + current
    if estimate <= limit:
        return True, 0
    return False, max(1, math.ceil((1 - elapsed) * period))


def per_client(scope: str, setting: str, period: int = 60):
    """A page's view limited to ``settings.<setting>`` requests per client address and ``period`` seconds:
    beyond, a French page (429) saying when to come back. The address is the one the server saw
    (REMOTE_ADDR: the production proxy sets it, docs/deployment.md); forwarded headers are not trusted."""

    def decorator(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            allowed, wait = hit(scope, request.META.get("REMOTE_ADDR") or "-", getattr(settings, setting), period)
            if allowed:
                return view(request, *args, **kwargs)
            context = {"wait": wait, "limit": getattr(settings, setting), "period": period}
            response = render(request, "429.html", context, status=429)
            response["Retry-After"] = str(wait)
            return response

        return limited

    return decorator
