"""Requests per minute per key (an IP address, a ticket's link or session)."""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic

WINDOW_S = 60.0


class RateLimit:
    """A fixed one-minute window per key: `allow(key)` counts a request and says whether
    it is within `per_minute`. Old windows are forgotten as new ones start."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._window = -1
        self._counts: dict[str, int] = {}

    def allow(self, key: str) -> bool:
        window = int(self.clock() // WINDOW_S)
        if window != self._window:
            self._window, self._counts = window, {}
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        return count <= self.per_minute
