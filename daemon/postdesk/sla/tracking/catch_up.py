"""The SLA clocks of changed tickets, recomputed just after the worker's commit, in batches.

The worker marks a changed ticket (`mark`, one statement in the transaction
that stores the mail) instead of recomputing its clocks there. After the
commit, `after_commit` recomputes the tickets this worker marked, all at once
(`refresh_pending`): the tickets' snapshots and histories read with a handful
of queries for the whole batch, the clocks stored and the marks removed in one
transaction (on SQLite the clocks are worked out before it, so the desk's one
write lock is held only to store them). An idle desk does this at once after
each mail; a busy worker at most every `BATCH_WINDOW_S`, so one batch carries
the tickets of many mails; the marks of the last mails of a burst are caught
up by a timer once the worker has had no commit for half a window. While the
worker is busy the timer leaves the catch-up to its next commit: run beside a
batch, the catch-up would take turns with it on the interpreter lock while one
of them holds the desk's write lock, which made both hold it longer. Marks a
crash left behind are caught up by the sweeper, and the SLA scan catches up
every mark before it reads `next_at`, so it never sees a stale due time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection
from datetime import datetime

from postdesk.config.live_sla import sla_config
from postdesk.config.runtime import Runtime
from postdesk.sla import SlaConfig
from postdesk.sla.tracking.track import Evaluation, evaluation_of, load_histories, store_into
from postdesk.store import sla_pending
from postdesk.store.db import (
    CONNECTION_FAILURES,
    Database,
    database,
    is_postgres,
    pinned,
    utcnow,
)
from postdesk.store.sla_store import TicketSla, locked_rows
from postdesk.store.ticket_reads import tickets_by_ids
from postdesk.tickets.automation import facts_for

log = logging.getLogger(__name__)

#: A busy worker recomputes marked tickets at most this often (seconds).
BATCH_WINDOW_S = 0.25
#: At most this many tickets per transaction.
MAX_BATCH = 200

_last_run = float("-inf")  # per process: when this worker last caught up
_last_commit = float("-inf")  # per process: when this worker last committed mail
_trailing: threading.Timer | None = None  # per process: the catch-up at the window's end
_trailing_lock = threading.Lock()
_timers: list[threading.Timer] = []  # per process: the catch-up timers not known to be over
#: per process: the tickets this worker marked, each with how often (a ticket marked
#: again while its clocks are being recomputed stays for the next round)
_own: dict[int, int] = {}
_own_lock = threading.Lock()


def mark(ticket_id: int, now: datetime) -> None:
    """Note, inside the caller's transaction, that the ticket's clocks need recomputing.

    An upsert (`postdesk.store.sla_pending.mark`): a catch-up that is reading the
    ticket's history waits for this commit."""
    sla_pending.mark(ticket_id, now)
    with _own_lock:
        _own[ticket_id] = _own.get(ticket_id, 0) + 1


def after_commit(runtime: Runtime) -> int:
    """Catch up now unless this worker did so less than `BATCH_WINDOW_S` ago; then at a
    later commit, or (a timer) once the worker has paused, so the last mail of a burst
    waits at most about a window and a half."""
    global _last_commit
    started = _last_commit = time.monotonic()
    wait = BATCH_WINDOW_S - (started - _last_run)
    if wait > 0:
        _catch_up_later(runtime, wait)
        return 0
    return _refresh_now(runtime)


def _refresh_now(runtime: Runtime) -> int:
    """Catch up this worker's marks now; the window starts again."""
    global _last_run
    _last_run = time.monotonic()
    return _refresh_own(runtime)


def _refresh_own(runtime: Runtime) -> int:
    """Recompute the tickets this worker marked (the marks of others are theirs, and those
    a dead worker left are the sweeper's)."""
    with _own_lock:
        taken = dict(_own)
    ids = sorted(taken)
    done = 0
    for start in range(0, len(ids), MAX_BATCH):
        chunk = ids[start:start + MAX_BATCH]
        done += refresh_pending(runtime, limit=len(chunk), only=chunk)
    with _own_lock:
        for ticket_id, times in taken.items():
            if _own.get(ticket_id) == times:
                del _own[ticket_id]
    return done


def _catch_up_later(runtime: Runtime, wait: float) -> None:
    global _trailing
    with _trailing_lock:
        if _trailing is not None and _trailing.is_alive():
            return
        _trailing = threading.Timer(wait, _trailing_catch_up, args=(runtime, database.obj))
        _trailing.daemon = True
        _trailing.name = "sla-catch-up"
        _timers[:] = [timer for timer in _timers if timer.is_alive()] + [_trailing]
        _trailing.start()


def finish_trailing(timeout: float = 30.0) -> None:
    """Cancel the catch-ups waiting for their window and wait for any running, before the
    process points the database proxy at another database (the tests do, one desk after
    another) and drops the old one. Each catch-up keeps to the database it was scheduled
    on whatever the proxy does (`_trailing_catch_up`); this only spares a database being
    dropped a catch-up that would still write on it."""
    while True:
        with _trailing_lock:
            timers = [timer for timer in _timers if timer is not threading.current_thread()]
            _timers.clear()
        if not timers:
            return
        for timer in timers:
            timer.cancel()
            timer.join(timeout)


def _trailing_catch_up(runtime: Runtime, scheduled_on: Database) -> None:
    """In the timer's own thread, with its own connection (closed after), on the database
    it was scheduled on from start to end (`db.pinned`: pointing the process's proxy at
    another database meanwhile moves none of its reads and writes); not at all if the
    process had moved to another database before it fired (that database's marks are its
    sweeper's)."""
    global _trailing
    with _trailing_lock:
        _trailing = None
    if database.obj is not scheduled_on:
        return
    idle_for = time.monotonic() - _last_commit
    if idle_for < BATCH_WINDOW_S / 2:  # busy: its next commit catches up, unless it was
        _catch_up_later(runtime, BATCH_WINDOW_S / 2 - idle_for)  # the last of the burst
        return
    with pinned(scheduled_on):
        try:
            _refresh_now(runtime)
        except Exception:
            log.exception("SLA clocks not caught up after a burst; the sweeper will")
        finally:
            scheduled_on.close()


def catch_up_all(runtime: Runtime, *, older_than: datetime | None = None) -> int:
    """Recompute every marked ticket (marked before `older_than`, when given)."""
    total = 0
    while done := refresh_pending(runtime, older_than=older_than):
        total += done
    return total


def refresh_pending(runtime: Runtime, *, older_than: datetime | None = None,
                    limit: int = MAX_BATCH, only: Collection[int] | None = None) -> int:
    """Recompute the clocks of up to `limit` marked tickets (among `only`, when given) and
    remove their marks; returns how many marks were handled.

    PostgreSQL: in one transaction that locks the marks it takes (another worker
    skips them). SQLite, where a transaction that writes holds the only write lock:
    the clocks are worked out from what is read before the write transaction, which
    then only stores them, for the marks that are still as they were read (a ticket
    changed again in between keeps its newer mark for the next round)."""
    config = sla_config(runtime)
    now = utcnow()
    if is_postgres():
        with database.atomic():
            marks = sla_pending.take_marks(older_than, limit, only)
            if marks:
                _store_all(_evaluations([m.ticket_id for m in marks], config, now), now)
                sla_pending.remove_marks([m.ticket_id for m in marks])
        return len(marks)
    marks = sla_pending.take_marks(older_than, limit, only)
    if not marks:
        return 0
    evaluations = _evaluations([m.ticket_id for m in marks], config, now)
    with database.atomic():
        unchanged = sla_pending.remove_unchanged_marks(marks)
        _store_all([(ticket_id, evaluation) for ticket_id, evaluation in evaluations
                    if ticket_id in unchanged], now)
    return len(marks)


def _evaluations(ids: list[int], config: SlaConfig | None, now: datetime
                 ) -> list[tuple[int, Evaluation]]:
    """The tickets' clocks (none without an SLA config); a ticket whose clocks cannot be
    worked out is logged and left out (they catch up at its next change)."""
    if config is None:
        return []
    # every read for the whole batch at once: tickets, snapshots, histories
    tickets = tickets_by_ids(ids)
    facts = facts_for(tickets)
    histories = load_histories([t.id for t in tickets])
    evaluations = []
    for ticket in tickets:
        try:
            evaluations.append((ticket.id, evaluation_of(
                ticket, facts[ticket.id], histories[ticket.id], config, now)))
        except Exception:
            log.exception("SLA clocks of ticket %s not updated", ticket.id)
    return evaluations


def _store_all(evaluations: list[tuple[int, Evaluation]], now: datetime) -> None:
    """Store the evaluations in one savepoint; if one of them fails, each in its own, so
    that one bad ticket spoils nothing (it is logged; its clocks catch up at its next
    change)."""
    ticket_ids = [ticket_id for ticket_id, _ in evaluations]
    try:
        with database.atomic():
            _store_each(evaluations, locked_rows(ticket_ids), now, each_in_savepoint=False)
        return
    except CONNECTION_FAILURES:
        raise  # the database is away: the marks stay for the next try
    except Exception:
        pass  # rolled back: find the bad one
    _store_each(evaluations, locked_rows(ticket_ids), now, each_in_savepoint=True)


def _store_each(evaluations: list[tuple[int, Evaluation]], rows: dict[int, TicketSla],
                now: datetime, *, each_in_savepoint: bool) -> None:
    for ticket_id, evaluation in evaluations:
        if not each_in_savepoint:
            store_into(rows.get(ticket_id), ticket_id, evaluation, now)
            continue
        try:
            with database.atomic():
                store_into(rows.get(ticket_id), ticket_id, evaluation, now)
        except CONNECTION_FAILURES:
            raise
        except Exception:
            log.exception("SLA clocks of ticket %s not updated", ticket_id)
