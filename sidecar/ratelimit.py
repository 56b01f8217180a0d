"""A per-key request budget (fixed windows), for what the sidecar serves to clients.

Memory is bounded: keys whose window has passed are forgotten, and at most `max_keys` are
tracked (the oldest windows go first), so a flood from many addresses cannot grow it.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """At most `limit` hits per key in each `window_s`-second window."""

    def __init__(
        self,
        limit: int,
        window_s: float,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._window_s = window_s
        self._max_keys = max_keys
        self._clock = clock
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def hit(self, key: str) -> float:
        """Count a hit; 0 if it is within budget, else the seconds until the key may retry."""
        now = self._clock()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self._window_s:
            start, count = now, 0
        if count >= self._limit:
            return max(start + self._window_s - now, 0.001)
        self._windows[key] = (start, count + 1)
        self._windows.move_to_end(key)
        self._forget(now)
        return 0.0

    def _forget(self, now: float) -> None:
        while self._windows:
            key, (start, _) = next(iter(self._windows.items()))
            if now - start < self._window_s and len(self._windows) <= self._max_keys:
                return
            del self._windows[key]


def retry_after(seconds: float) -> int:
    """A `Retry-After` value: whole seconds, at least 1."""
    return max(1, math.ceil(seconds))
