"""What `postdesk status` and the metrics read about waiting mail and the IMAP sources.

Each figure is one query along the indexed state columns (`inbound.state`,
`outbox.state`, `outbox.next_attempt_at`): a health check or a scrape reads
the waiting and failed rows, never the desk's whole history. Both read the
same figures here, so `postdesk status` and the metrics cannot disagree.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import peewee as pw

from postdesk.store.models import ImapState, Inbound, Outbox

#: Outbox states of mail not sent yet: due or backing off, and on its way.
WAITING_OUTBOX = ("pending", "sending")


def pending_inbound_count() -> int:
    """Inbound mails not processed yet."""
    return int(Inbound.select().where(Inbound.state == "pending").count())


def oldest_pending_inbound() -> Any:
    """When the oldest unprocessed mail arrived (None: none waits; SQLite gives text)."""
    return (Inbound.select(pw.fn.MIN(Inbound.received_at))
            .where(Inbound.state == "pending").scalar())


def last_processed_inbound() -> Any:
    """When the desk last finished a mail (None: never; SQLite gives text)."""
    return Inbound.select(pw.fn.MAX(Inbound.processed_at)).scalar()


def failed_inbound_since(since: datetime) -> int:
    """Mails received since `since` whose processing failed, and which no operator has
    dismissed (`postdesk inbound dismiss`)."""
    return int(Inbound.select()
               .where((Inbound.state == "failed") & (Inbound.received_at >= since)
                      & Inbound.dismissed_at.is_null()).count())


def received_inbound_since(since: datetime) -> int:
    """Mails received since `since`: what a failure rate is measured against."""
    return int(Inbound.select().where(Inbound.received_at >= since).count())


def due_outbox_count(now: datetime) -> int:
    """Notifications a worker should be sending now (due, not backing off or held)."""
    return int(Outbox.select().where((Outbox.state == "pending")
                                     & (Outbox.next_attempt_at <= now)).count())


def waiting_outbox_count() -> int:
    """Notifications not sent yet (pending or being sent)."""
    return int(Outbox.select().where(Outbox.state.in_(WAITING_OUTBOX)).count())


def outbox_wait_starts(now: datetime) -> tuple[Any, Any]:
    """When the longest-waiting unsent notifications could first have gone: the earliest
    creation among those never held, and the earliest end of a hold that has passed
    (a mail held for the recipient's business hours waits from then). A mail the relay
    keeps deferring waits from its creation, not from its next retry. (None: no such
    mail; SQLite gives text.)"""
    waiting = Outbox.state.in_(WAITING_OUTBOX)
    free = (Outbox.select(pw.fn.MIN(Outbox.created_at))
            .where(waiting & Outbox.not_before.is_null()).scalar())
    held = (Outbox.select(pw.fn.MIN(Outbox.not_before))
            .where(waiting & Outbox.not_before.is_null(False) & (Outbox.not_before <= now))
            .scalar())
    return free, held


def deferred_outbox_count() -> int:
    """Notifications the relay (or the way to it) refused for now: waiting for a retry."""
    return int(Outbox.select()
               .where((Outbox.state == "pending") & (Outbox.attempts > 0)).count())


def last_relay_error() -> str:
    """The error of the most recently deferred notification still waiting ('' if none)."""
    row = (Outbox.select(Outbox.last_error)
           .where((Outbox.state == "pending") & (Outbox.attempts > 0)
                  & (Outbox.last_error != ""))
           .order_by(Outbox.next_attempt_at.desc()).first())
    return str(row.last_error) if row else ""


def newest_relay_error() -> tuple[datetime, str] | None:
    """When the relay last refused or deferred a notification, and what it said (whatever
    became of the notification since); None if it never has."""
    row = (Outbox.select(Outbox.last_error_at, Outbox.last_error)
           .where(Outbox.last_error_at.is_null(False))
           .order_by(Outbox.last_error_at.desc()).first())
    return (row.last_error_at, str(row.last_error)) if row else None


def created_outbox_since(since: datetime) -> int:
    """Notifications created since `since`."""
    return int(Outbox.select().where(Outbox.created_at >= since).count())


def failed_outbox_since(since: datetime) -> int:
    """Notifications created since `since` that were given up."""
    return int(Outbox.select()
               .where((Outbox.state == "failed") & (Outbox.created_at >= since)).count())


def imap_states(sources: Collection[str] | None = None) -> list[ImapState]:
    """The stored state of the IMAP sources (of those named in `sources`, when given)."""
    query = ImapState.select()
    if sources is not None:
        query = query.where(ImapState.source.in_(list(sources) or [""]))
    return list(query)
