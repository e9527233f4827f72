"""The outgoing queue as an operator manages it (`postdesk outbox`), like Postfix's
postqueue and postsuper: list what waits or failed, send again, drop for good.

Retrying makes a row due now and forgets its dispatch, so the sweeper of the running
desk hands it to a worker within seconds; a failed row starts its attempts anew.
Dropping ends a row in the state `dropped` with the operator's reason; the caller
records it on the ticket in the same transaction (the audit trail).
"""

from __future__ import annotations

from datetime import datetime

import peewee as pw

from postdesk.store.db import database
from postdesk.store.models import Outbox
from postdesk.store.outbox_delivery import MAX_ERROR

#: What `postdesk outbox` lists for each choice.
VIEWS = {
    "waiting": Outbox.state.in_(("pending", "sending")),
    "deferred": (Outbox.state == "pending") & (Outbox.attempts > 0),
    "failed": Outbox.state.in_(("failed", "undeliverable")),
}
#: Rows an operator may send again or drop.
RETRYABLE = ("pending", "failed", "undeliverable")


def outbox_rows(view: str, limit: int) -> list[Outbox]:
    return list(Outbox.select(Outbox.id, Outbox.ticket, Outbox.kind, Outbox.recipient,
                              Outbox.state, Outbox.attempts, Outbox.next_attempt_at,
                              Outbox.created_at, Outbox.last_error)
                .where(VIEWS[view]).order_by(Outbox.id).limit(limit))


def retry(ids: list[int] | None, now: datetime) -> list[int]:
    """Make these rows (None: every deferred or failed one) due now; the ids changed."""
    query = Outbox.select(Outbox.id).where(
        Outbox.state.in_(RETRYABLE) & ((Outbox.state != "pending") | (Outbox.attempts > 0)))
    if ids is not None:
        query = query.where(Outbox.id.in_(ids))
    with database.atomic():
        changed = [row.id for row in query]
        if changed:
            (Outbox.update(state="pending", next_attempt_at=now, lease_until=None,
                           dispatched_at=None,
                           attempts=pw.Case(None, [(Outbox.state == "pending",
                                                    Outbox.attempts)], 0))
             .where(Outbox.id.in_(changed)).execute())
    return changed


def drop(outbox_id: int, reason: str) -> Outbox | None:
    """End a row that has not been sent as `dropped` (in the caller's transaction);
    None when there is no such row or it went already."""
    row = Outbox.get_or_none(Outbox.id == outbox_id)
    if row is None or row.state not in (*RETRYABLE, "sending"):
        return None
    (Outbox.update(state="dropped", lease_until=None, last_error=reason[:MAX_ERROR])
     .where(Outbox.id == outbox_id).execute())
    return row
