"""Periodic work of the daemon: the sweeper that re-dispatches what a crash left behind.

The queue carries only ids and may lose them (a killed process, a flushed
broker). The database knows better: an inbound row still `pending`, or an
outbox row due and not sent, is handed to the queue again once it has not
been dispatched for `REDISPATCH_AFTER`. Actors claim their rows, so a row
dispatched twice is still processed once. (The SLA and time-rule scans,
and the leader lease, join this module in their own issues.)
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from postdesk.store.db import database
from postdesk.store.models import Inbound, Outbox
from postdesk.worker.actors import Dispatcher

log = logging.getLogger(__name__)

REDISPATCH_AFTER = timedelta(seconds=60)
SWEEP_BATCH = 1000


def sweep(dispatcher: Dispatcher, now: datetime, *, everything: bool = False,
          redispatch_after: timedelta = REDISPATCH_AFTER) -> tuple[int, int]:
    """Re-dispatch forgotten work; `everything` at start-up, when the queue is known empty."""
    cutoff = now if everything else now - redispatch_after
    if everything:
        _release_cut_off_sends()
    inbound = _redispatch_inbound(dispatcher, now, cutoff)
    outgoing = _redispatch_outbox(dispatcher, now, cutoff)
    if inbound or outgoing:
        log.info("sweeper re-dispatched %d inbound and %d outgoing mails", inbound, outgoing)
    return inbound, outgoing


def _release_cut_off_sends() -> None:
    """At start-up of a single-node desk nobody else can be sending: a 'sending' row was
    cut off by the crash, so it need not wait for its lease (the re-send is idempotent)."""
    with database.atomic():
        released = (Outbox.update(state="pending", lease_until=None)
                    .where(Outbox.state == "sending").execute())
    if released:
        log.info("released %d outgoing mails cut off by the last stop", released)


def _redispatch_inbound(dispatcher: Dispatcher, now: datetime, cutoff: datetime) -> int:
    forgotten = (Inbound.dispatched_at.is_null() | (Inbound.dispatched_at < cutoff))
    total = 0
    while True:
        ids = [row.id for row in Inbound.select(Inbound.id)
               .where((Inbound.state == "pending") & forgotten)
               .order_by(Inbound.id).limit(SWEEP_BATCH)]
        if not ids:
            return total
        with database.atomic():
            Inbound.update(dispatched_at=now).where(Inbound.id.in_(ids)).execute()
        for inbound_id in ids:
            dispatcher.inbound(inbound_id)
        total += len(ids)


def _redispatch_outbox(dispatcher: Dispatcher, now: datetime, cutoff: datetime) -> int:
    forgotten = (Outbox.dispatched_at.is_null() | (Outbox.dispatched_at < cutoff))
    due = (Outbox.state == "pending") & (Outbox.next_attempt_at <= now)
    stale = (Outbox.state == "sending") & (Outbox.lease_until < now)
    total = 0
    while True:
        ids = [row.id for row in Outbox.select(Outbox.id).where((due | stale) & forgotten)
               .order_by(Outbox.id).limit(SWEEP_BATCH)]
        if not ids:
            return total
        with database.atomic():
            Outbox.update(dispatched_at=now).where(Outbox.id.in_(ids)).execute()
        for outbox_id in ids:
            dispatcher.outgoing(outbox_id)
        total += len(ids)
