"""Periodic work of the daemon: the sweeper that re-dispatches what a crash left behind.

The queue carries only ids and may lose them (a killed process, a flushed
broker). The database knows better: an inbound row still `pending`, or an
outbox row due and not sent, is handed to the queue again once it has not
been dispatched for `REDISPATCH_AFTER` and no worker holds a live claim on it
(`postdesk.store.inbound_claims`). Actors claim their rows, so a row
dispatched twice is still processed once, by one worker. (The SLA and time-rule scans,
and the leader lease, join this module in their own issues.)
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from postdesk.store import dispatch, inbound_claims, outbox_delivery
from postdesk.worker.actors import Dispatcher

log = logging.getLogger(__name__)

REDISPATCH_AFTER = timedelta(seconds=60)
SWEEP_BATCH = 1000


def sweep(dispatcher: Dispatcher, now: datetime, *, everything: bool = False,
          redispatch_after: timedelta = REDISPATCH_AFTER,
          claims_stale: bool = False) -> tuple[int, int]:
    """Re-dispatch forgotten work; `everything` at start-up, when the queue is known empty;
    `claims_stale` when no worker can be working (an embedded desk starting: its workers
    are in this process), so a claim is a crashed run's."""
    cutoff = now if everything else now - redispatch_after
    if everything:
        _release_cut_off_sends()
    inbound = _redispatch_inbound(dispatcher, now, cutoff, claims_stale)
    outgoing = _redispatch_outbox(dispatcher, now, cutoff)
    if inbound or outgoing:
        log.info("sweeper re-dispatched %d inbound and %d outgoing mails", inbound, outgoing)
    return inbound, outgoing


def _release_cut_off_sends() -> None:
    """At start-up of a single-node desk nobody else can be sending: a 'sending' row was
    cut off by the crash, so it need not wait for its lease (the re-send is idempotent)."""
    released = outbox_delivery.release_all_sending()
    if released:
        log.info("released %d outgoing mails cut off by the last stop", released)


def _redispatch_inbound(dispatcher: Dispatcher, now: datetime, cutoff: datetime,
                        claims_stale: bool) -> int:
    """Hand forgotten mails out again, but not one a worker is still working on. With
    `claims_stale` the claims are a crashed run's: given up, or the worker handed the mail
    would pass over it as held and it would wait for the claim to run out."""
    total = 0
    claims_at = None if claims_stale else now
    while ids := dispatch.forgotten_inbound(cutoff, SWEEP_BATCH, now=claims_at):
        if claims_stale:
            inbound_claims.release(ids)
        dispatch.inbound_dispatched(ids, now)
        for inbound_id in ids:
            dispatcher.inbound(inbound_id)
        total += len(ids)
    return total


def _redispatch_outbox(dispatcher: Dispatcher, now: datetime, cutoff: datetime) -> int:
    total = 0
    while ids := dispatch.forgotten_outbox(now, cutoff, SWEEP_BATCH):
        dispatch.outbox_dispatched(ids, now)
        for outbox_id in ids:
            dispatcher.outgoing(outbox_id)
        total += len(ids)
    return total
