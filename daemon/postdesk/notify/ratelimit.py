"""How much automatic mail may still go out: the brake on mail storms.

An auto-responder that does not say it is automatic (the worst case) answers
every acknowledgment with a mail that opens a new ticket, which is
acknowledged again. RFC 3834 headers cannot stop that loop; counting can. At
most `[limits] auto_replies_per_address` automatic mails go to one address,
and `auto_replies_total` to everybody, within `auto_reply_window` seconds.
Mail held back is recorded as an event on its ticket, never silently dropped.

The count per address is exact for every mail (an index range of a few rows).
The desk-wide count covers every automatic mail of the window, thousands of
rows on a busy desk, so a worker counts it at most once per
`DESK_RECOUNT_S` and adds what it queued itself since; near the limit (within
`_margin`) it counts for every mail. Other workers' mails of the last second
are what the estimate can miss: below the margin, where they cannot reach
the limit.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from postdesk.config.settings import LimitsSettings
from postdesk.store.db import database
from postdesk.store.outbox_counts import automatic_mail_since

#: The longest a worker goes on its own estimate of the desk-wide count (seconds).
DESK_RECOUNT_S = 1.0


def automatic_mail_held_back(recipient: str, now: datetime, limits: LimitsSettings) -> str | None:
    """The reason an automatic mail to `recipient` must not go out now, or None (the
    caller then queues it, and it counts)."""
    since = now - timedelta(seconds=limits.auto_reply_window)
    to_recipient = automatic_mail_since(since, recipient.lower())
    if to_recipient >= limits.auto_replies_per_address:
        return (f"rate limit: {to_recipient} automatic mails to {recipient} in the last "
                f"{limits.auto_reply_window} s (limit {limits.auto_replies_per_address})")
    total = _desk.total(since, limits.auto_replies_total)
    if total >= limits.auto_replies_total:
        return (f"rate limit: {total} automatic mails in the last {limits.auto_reply_window} s "
                f"(desk limit {limits.auto_replies_total})")
    _desk.queued()
    return None


def _margin(limit: int) -> int:
    """How far below the limit the estimate is trusted."""
    return max(limit // 10, 100)


class _DeskCount:
    """This process's view of the desk-wide count: the last count, plus its own since."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counted = 0
        self._own = 0
        self._at = float("-inf")
        self._database: object = None

    def total(self, since: datetime, limit: int) -> int:
        with self._lock:
            estimate = self._counted + self._own
            fresh = (time.monotonic() - self._at < DESK_RECOUNT_S
                     and self._database is database.obj)
            if fresh and estimate < limit - _margin(limit):
                return estimate
        counted = automatic_mail_since(since)
        with self._lock:
            self._counted, self._own = counted, 0
            self._at, self._database = time.monotonic(), database.obj
        return counted

    def queued(self) -> None:
        with self._lock:
            self._own += 1


_desk = _DeskCount()
