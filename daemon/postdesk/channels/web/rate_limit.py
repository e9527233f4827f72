"""Requests per window (a minute unless told) per key (an IP address, a ticket's link or
session)."""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic

WINDOW_S = 60.0


class RateLimit:
    """A fixed window (`window_s`, a minute by default) per key: `allow(key)` counts a
    request and says whether it is within `per_minute` (per window). Old windows are
    forgotten as new ones start."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = monotonic,
                 window_s: float = WINDOW_S) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.window_s = window_s
        self._window = -1
        self._counts: dict[str, int] = {}

    def allow(self, key: str) -> bool:
        window = int(self.clock() // self.window_s)
        if window != self._window:
            self._window, self._counts = window, {}
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        return count <= self.per_minute
