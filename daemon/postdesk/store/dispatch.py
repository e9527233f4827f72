"""The dispatch columns: which rows the queue may have lost, and when they were handed to it.

`dispatched_at` on `inbound` and `outbox` records when a row's id last went to
the queue. The sweeper (`postdesk.worker.scheduler`) asks for the rows still
waiting whose id went out before a cut-off (or never), stamps them, and hands
them to the queue again; actors claim their rows, so a second dispatch does no
harm. A mail a worker still holds a claim on (`inbound_claims`) is not handed
out again until the claim runs out. Ids come in id order, a batch at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from postdesk.store.db import database
from postdesk.store.models import Inbound, Outbox


def forgotten_inbound(cutoff: datetime, limit: int, *, now: datetime | None = None
                      ) -> list[int]:
    """Ids of pending inbound mail not dispatched since `cutoff` (or never), oldest first;
    with `now`, not those a worker holds a claim on that lasts past `now`."""
    forgotten = Inbound.dispatched_at.is_null() | (Inbound.dispatched_at < cutoff)
    if now is not None:
        forgotten &= Inbound.working_until.is_null() | (Inbound.working_until < now)
    return [row.id for row in Inbound.select(Inbound.id)
            .where((Inbound.state == "pending") & forgotten)
            .order_by(Inbound.id).limit(limit)]


def forgotten_outbox(now: datetime, cutoff: datetime, limit: int) -> list[int]:
    """Ids of outbox rows that may be sent at `now` (due, or held by an expired lease)
    and were not dispatched since `cutoff` (or never), oldest first."""
    forgotten = Outbox.dispatched_at.is_null() | (Outbox.dispatched_at < cutoff)
    due = (Outbox.state == "pending") & (Outbox.next_attempt_at <= now)
    stale = (Outbox.state == "sending") & (Outbox.lease_until < now)
    return [row.id for row in Outbox.select(Outbox.id).where((due | stale) & forgotten)
            .order_by(Outbox.id).limit(limit)]


def inbound_dispatched(ids: Sequence[int], now: datetime) -> None:
    """Record that these inbound ids went to the queue at `now` (own transaction)."""
    with database.atomic():
        Inbound.update(dispatched_at=now).where(Inbound.id.in_(list(ids))).execute()


def outbox_dispatched(ids: Sequence[int], now: datetime) -> None:
    """Record that these outbox ids went to the queue at `now` (own transaction)."""
    with database.atomic():
        Outbox.update(dispatched_at=now).where(Outbox.id.in_(list(ids))).execute()
