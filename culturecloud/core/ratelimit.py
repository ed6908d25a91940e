"""Fixed-window counters in the shared cache (Redis in production), so a limit holds
across every app process. `cache.add` + `cache.incr` are atomic on Redis and on the
in-process cache; no read-modify-write."""

from __future__ import annotations

from django.core.cache import cache

from .errors import RateLimited


def hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit; True while the count is within `limit` for the current window."""
    cache_key = f"rl:{key}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def check(key: str, rate: tuple[int, int], message: str | None = None) -> None:
    """Raise RateLimited when the hit for `key` exceeds `rate` = (limit, window seconds)."""
    limit, window = rate
    if not hit(key, limit, window):
        raise RateLimited(message, retry_after=window)


def reset(key: str) -> None:
    cache.delete(f"rl:{key}")
