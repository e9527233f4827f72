"""A rules file kept current: reloaded when it changes, the last good version kept on errors.

Used for teams.yaml and routing.yaml (automations have `LiveRules`, which
reads several files): every `interval` seconds the file's modification time
and size are compared with what was loaded; a changed file is loaded again,
and if it is broken the error is logged with file and line and the version
in force stays.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from postdesk.errors import ConfigError

log = logging.getLogger(__name__)

T = TypeVar("T")


class LiveFile(Generic[T]):
    def __init__(self, path: Path, load: Callable[[], T], fallback: T, *,
                 interval: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.load = load
        self.interval = interval
        self.clock = clock
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._value = fallback
        self._stamp: tuple[float, int] | None = None
        self._checked_at = float("-inf")
        self.current()

    def current(self) -> T:
        if self.clock() - self._checked_at >= self.interval:
            self._refresh()
        return self._value

    def request_reload(self) -> None:
        self._checked_at = float("-inf")

    def _refresh(self) -> None:
        with self._lock:
            self._checked_at = self.clock()
            try:
                stat = self.path.stat()
                stamp: tuple[float, int] | None = (stat.st_mtime, stat.st_size)
            except OSError:
                stamp = None
            if stamp == self._stamp and self._stamp is not None:
                return
            first = self._stamp is None and self.last_error is None
            self._stamp = stamp
            try:
                self._value = self.load()
            except ConfigError as exc:
                self.last_error = str(exc)
                log.error("%s; %s", exc, "the last good version stays in force"
                          if not first else "using the defaults until it is fixed")
                return
            self.last_error = None
            if not first:
                log.info("reloaded %s", self.path)
