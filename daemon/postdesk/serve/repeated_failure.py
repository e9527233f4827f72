"""A periodic task's failures logged once, not every few seconds.

During a database outage the sweeper fails every 5 s; a full traceback each time
buries the log. The first failure is logged with its traceback, the ones after it
as one line at most once a minute with their count, and the recovery once.
"""

from __future__ import annotations

import logging
import time

SUMMARY_EVERY_S = 60.0


class RepeatedFailure:
    def __init__(self, log: logging.Logger, what: str, retry_s: float) -> None:
        self.log = log
        self.what = what
        self.retry_s = retry_s
        self.failures = 0
        self._said_at = 0.0

    def failed(self, exc: BaseException) -> None:
        """Call from the `except` block of the task's run."""
        self.failures += 1
        now = time.monotonic()
        if self.failures == 1:
            self.log.error("%s failed; trying again every %s s", self.what, self.retry_s,
                           exc_info=exc)
            self._said_at = now
        elif now - self._said_at >= SUMMARY_EVERY_S:
            self.log.warning("%s still failing (%d times so far): %s: %s", self.what,
                             self.failures, type(exc).__name__, exc)
            self._said_at = now

    def succeeded(self) -> None:
        """Call after a run that worked: says so once after failures."""
        if self.failures:
            self.log.info("%s works again after %d failures", self.what, self.failures)
            self.failures = 0
