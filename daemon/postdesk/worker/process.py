"""Turn stored inbound mails into ticket data: batching, transactions, and the one place
that maps what went wrong to what becomes of a mail.

Each mail is read first (`read_mail`, no writes), then handed to the receive
chain (`postdesk.tickets.receive.chain`) inside a transaction, with a unit of
work that gathers its events into one INSERT. The row is claimed with one
conditional UPDATE inside the same transaction, so two workers given the same
id do the work once; a crash rolls everything back and the sweeper hands the
id out again. Before reading its mails a worker claims them
(`postdesk.store.inbound_claims`): a mail another worker is working on is
left to it, and the sweeper does not hand it out again meanwhile. A mail
that cannot be processed, or whose reading and write transaction spend its
CPU budget (`postdesk.worker.budget`; the transaction rolls back, no half
ticket stays), keeps its raw bytes and gets `failed` with a reason; one the
database could not take (locked, away) stays pending for the queue to retry.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from postdesk import logs
from postdesk.config.runtime import Runtime
from postdesk.sla.tracking import catch_up as sla_catch_up
from postdesk.store import fastsql, inbound_claims, inbound_results
from postdesk.store.db import database, is_postgres, utcnow
from postdesk.store.db_errors import (
    UNAVAILABLE,
    IntegrityError,
    OperationalError,
    is_transaction_conflict,
)
from postdesk.store.models import Inbound
from postdesk.tickets.receive import chain
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.known import StoreKnown
from postdesk.tickets.receive.step import Receiving
from postdesk.tickets.unit_of_work import UnitOfWork
from postdesk.worker.budget import MailBudget, MailTooCostly, too_costly
from postdesk.worker.read_chat import ChatDirect, read_chat_events
from postdesk.worker.read_mail import read_mails

__all__ = ["MAX_ATTEMPTS", "Outcome", "process_inbound", "process_many"]

log = logging.getLogger(__name__)

#: How many times a mail is tried before it is marked failed.
MAX_ATTEMPTS = 5
#: On SQLite, a batch's transaction commits once it has held the desk's write lock this
#: long (seconds), and the batch goes on in a new one: the intake's commits (an SMTP 250,
#: a chat platform's ack) and the chat sender's wait for the lock about this long at most,
#: not for a whole batch of 32 mails.
WRITE_HOLD_S = 0.05
#: ... and then leaves it to them this long (seconds) before its next turn.
WRITE_PAUSE_S = 0.002


def process_inbound(inbound_id: int, runtime: Runtime) -> Outcome:
    """Process one inbound row; idempotent (a done or missing row is skipped)."""
    (result,) = process_many([inbound_id], runtime)
    if isinstance(result, Exception):
        raise result
    return result


def process_many(inbound_ids: Sequence[int], runtime: Runtime) -> list[Outcome | Exception]:
    """Process several inbound rows, in order; per row its outcome, or the error that
    stopped it (the queue retries that row: the database was locked or away).

    What needs no database (parsing, classifying, a new sender's language, a DKIM
    check) is done for every mail first, outside the write transaction. On SQLite,
    which has one writer at a time, the mails are then stored in one transaction,
    each in its own savepoint: one commit instead of one per mail, and a mail that
    fails takes none of the others with it; a transaction that has held the desk's
    write lock for `WRITE_HOLD_S` commits after its current mail and the rest go on in
    the next. On PostgreSQL, whose writers work side by side, each mail has its own
    short transaction."""
    results: dict[int, Outcome | Exception] = {}
    rows = {row.id: row for row in fastsql.rows_by(Inbound, Inbound.id, list(inbound_ids))}
    pending = []
    for inbound_id in dict.fromkeys(inbound_ids):  # a mail handed out twice counts once
        row = rows.get(inbound_id)
        if row is None or row.state != "pending":
            results[inbound_id] = Outcome("skipped")
        else:
            pending.append(row)
    claims = _Claims(runtime)
    mine = claims.take([row.id for row in pending])
    results.update((row.id, Outcome("skipped")) for row in pending if row.id not in mine)
    seconds = runtime.settings.limits.max_mail_cpu_seconds
    budgets = {inbound_id: MailBudget(seconds) for inbound_id in mine}
    read: dict[int, Arrived | ChatDirect | Exception] = dict(read_mails(
        [row for row in pending if row.id in mine and row.channel is None], runtime, budgets,
        claims.keep))
    read.update(read_chat_events(
        [row for row in pending if row.id in mine and row.channel is not None], runtime))
    arrived = [mail for mail in read.values() if isinstance(mail, Arrived | ChatDirect)]
    for inbound_id, error in read.items():
        if isinstance(error, MailTooCostly):
            results[inbound_id] = _record_failure(inbound_id, error)
        elif isinstance(error, Exception):
            results[inbound_id] = error
    if len(arrived) > 1 and not is_postgres():
        results.update(_settle_in_turns(arrived, runtime, budgets))
    else:
        results.update(_settle_each(arrived, runtime, budgets, together=False))
    claims.release([i for i in mine if isinstance(results.get(i), Exception)])
    if any(isinstance(outcome, Outcome) and outcome.changed_ticket
           for outcome in results.values()):
        _catch_up_sla(runtime)
    return [results[inbound_id] for inbound_id in inbound_ids]


class _Claims:
    """This worker's claims on the mails of one batch: taken before they are read, kept
    while a long batch is read, given up for the mails the queue must retry."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        # long enough for a mail to spend its whole budget; kept again halfway through
        self.lease = timedelta(seconds=settings.broker.redispatch_after
                               + 2 * settings.limits.max_mail_cpu_seconds)
        self.ids: set[int] = set()
        self.renew_at = utcnow()

    def take(self, ids: list[int]) -> set[int]:
        now = utcnow()
        self.ids = inbound_claims.claim(ids, now, now + self.lease)
        self.renew_at = now + self.lease / 2
        return self.ids

    def keep(self) -> None:
        now = utcnow()
        if now >= self.renew_at:
            with contextlib.suppress(*UNAVAILABLE):  # tried again before the next mail
                inbound_claims.extend(self.ids, now + self.lease)
                self.renew_at = now + self.lease / 2

    def release(self, ids: list[int]) -> None:
        with contextlib.suppress(*UNAVAILABLE):  # claims also run out by themselves
            inbound_claims.release(ids)


def _settle_in_turns(arrived: list[Arrived | ChatDirect], runtime: Runtime,
                     budgets: dict[int, MailBudget]) -> dict[int, Outcome | Exception]:
    """SQLite: the mails in as few transactions as keep the write lock at most about
    `WRITE_HOLD_S` each. A database error ends its transaction (rolled back) and the
    batch: those mails and the ones after them go back to the queue."""
    results: dict[int, Outcome | Exception] = {}
    rest = arrived
    while rest:
        taken = 0
        try:
            with database.atomic():
                held_since = time.monotonic()
                for mail in rest:
                    taken += 1
                    results.update(_settle_each([mail], runtime, budgets, together=True))
                    if time.monotonic() - held_since >= WRITE_HOLD_S:
                        break
        except UNAVAILABLE as exc:
            results.update((mail.inbound_id, exc) for mail in rest)
            break
        rest = rest[taken:]
        if rest:
            _let_others_write()
    return results


def _let_others_write() -> None:
    """A moment without the write lock between two turns of a batch: neither the lock of
    the threads nor the flock of the processes is fair, and a worker that took it again at
    once would keep a waiting intake out for the whole batch after all."""
    time.sleep(WRITE_PAUSE_S)


def _settle_each(arrived: list[Arrived | ChatDirect], runtime: Runtime,
                 budgets: dict[int, MailBudget],
                 *, together: bool) -> dict[int, Outcome | Exception]:
    """Each mail's outcome, or the error for the queue to retry it; `together`: all in
    the caller's transaction, which a database error must end."""
    results: dict[int, Outcome | Exception] = {}
    for mail in arrived:
        with logs.log_context(inbound=mail.inbound_id, ticket=None):
            try:
                results[mail.inbound_id] = _settle(mail, runtime, budgets[mail.inbound_id])
            except UNAVAILABLE as exc:
                if together:
                    raise  # locked or away: nothing of the batch is kept
                results[mail.inbound_id] = exc
            except IntegrityError as exc:
                results[mail.inbound_id] = exc  # a second race in a row: the queue retries
    return results


#: How often a mail's transaction is run again after PostgreSQL rolled it back for a
#: deadlock or serialization failure before the queue is left to retry it.
CONFLICT_ATTEMPTS = 3


def _settle(mail: Arrived | ChatDirect, runtime: Runtime, budget: MailBudget) -> Outcome:
    attempt = 1
    while True:
        try:
            return _process_once(mail, runtime, budget)
        except IntegrityError:
            # a worker stored the same mail a moment ago: look again, now it is a duplicate
            return _process_once(mail, runtime, budget)
        except OperationalError as exc:
            # another transaction won (e.g. the SLA catch-up holding the ticket's mark):
            # everything was rolled back, so the mail is simply stored again
            if attempt >= CONFLICT_ATTEMPTS or not is_transaction_conflict(exc):
                raise
            log.info("inbound %s lost a transaction conflict; trying again (%s)",
                     mail.inbound_id, attempt)
            attempt += 1


class _AlreadyDone(Exception):
    """Another worker finished this row first: roll back and skip."""


def _process_once(mail: Arrived | ChatDirect, runtime: Runtime, budget: MailBudget
                  ) -> Outcome:
    now = utcnow()
    try:
        # the budget ends inside the transaction: past it, the whole mail rolls back
        with database.atomic(), budget.spending():
            with UnitOfWork() as work:  # the mail's events: one INSERT
                outcome = (mail.act(runtime, now, work) if isinstance(mail, ChatDirect)
                           else chain.receive(mail, Receiving(runtime, now, work,
                                                              StoreKnown(mail, runtime, now))))
            if outcome.changed_ticket and outcome.ticket_id is not None:
                sla_catch_up.mark(outcome.ticket_id, now)  # recomputed after the commit
            if not _finish(mail.inbound_id, outcome, now, runtime.settings.metrics.node_name):
                raise _AlreadyDone
    except _AlreadyDone:
        return Outcome("skipped")
    except MailTooCostly:
        log.warning("inbound %s spent its CPU budget while being stored", mail.inbound_id)
        return _record_failure(mail.inbound_id,
                               too_costly(mail.inbound_id, budget.seconds, "reading and storing"))
    except UNAVAILABLE:
        raise  # locked or unavailable: the queue retries, the row stays pending
    except IntegrityError:
        raise  # another worker stored the same mail: `_settle` looks again
    except Exception as exc:  # one place maps failures to a stored reason
        log.exception("inbound %s could not be processed", mail.inbound_id)
        return _record_failure(mail.inbound_id, exc)
    return outcome


def _catch_up_sla(runtime: Runtime) -> None:
    """The clocks of the tickets marked so far: the mail is committed whatever happens here
    (a failure leaves the marks for the sweeper)."""
    try:
        sla_catch_up.after_commit(runtime)
    except Exception:
        log.exception("SLA clocks not caught up after a commit; the sweeper will")


def _finish(inbound_id: int, outcome: Outcome, now: datetime, node: str) -> bool:
    """Mark the row done (or what it became) if it is still pending: the claim."""
    return inbound_results.finish(inbound_id, state=outcome.state, reason=outcome.reason,
                                  ticket_id=outcome.ticket_id, now=now, node=node)


def _record_failure(inbound_id: int, exc: Exception) -> Outcome:
    reason = f"{type(exc).__name__}: {exc}"[:2000]
    state = inbound_results.record_failure(inbound_id, reason, retry=_is_transient(exc),
                                           max_attempts=MAX_ATTEMPTS)
    return Outcome(state, reason="" if state == "skipped" else reason)


def _is_transient(exc: Exception) -> bool:
    return isinstance(exc, OperationalError | ConnectionError | TimeoutError)
