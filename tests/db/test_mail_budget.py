"""One mail cannot hold a worker: reading and storing it run on one CPU budget, and a mail
a worker is working on is neither handed to a second worker nor re-dispatched by the sweeper."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from mailbuild import customer_mail
from postdesk.config import runtime as runtime_module
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.store import dispatch, inbound_claims, inbound_results
from postdesk.store.db import database, utcnow
from postdesk.store.inbound import Arrival, store_inbound
from postdesk.store.inbound_replay import reset_for_replay
from postdesk.store.models import Customer, Inbound, Message, Ticket
from postdesk.tickets.receive import new_ticket
from postdesk.worker import read_mail, scheduler
from postdesk.worker.pool import ThreadRunner
from postdesk.worker.process import Outcome, process_many

SLOW = "a shape no parser has met yet"


@pytest.fixture
def runtime(migrated: str, make_settings: Callable[..., Settings]) -> Iterator[Runtime]:
    with database.connection_context():
        yield runtime_module.install(
            Runtime(make_settings(migrated, limits_max_mail_cpu_seconds=1)))


@pytest.fixture
def slow_parsing(monkeypatch) -> threading.Event:
    """Parsing the mail with the SLOW subject spins on the CPU (for up to 20 s, then goes
    on as usual): a stand-in for a library that is super-linear on some input."""
    parse_loaded = read_mail.parse_loaded
    started = threading.Event()

    def parse(msg, **kwargs):
        if msg["Subject"] == SLOW:
            started.set()
            spin_until = time.thread_time() + 20
            while time.thread_time() < spin_until:
                pass
        return parse_loaded(msg, **kwargs)

    monkeypatch.setattr(read_mail, "parse_loaded", parse)
    return started


def stored(n: int, subject: str = "Printer on fire") -> tuple[int, bytes]:
    raw = customer_mail(sender=f"Customer {n} <c{n}@customer.example>", subject=subject,
                        message_id=f"<m{n}@customer.example>").as_bytes()
    return store_inbound(Arrival(raw=raw, mail_from=f"c{n}@customer.example",
                                 rcpt_to=("support@example.com",), source="smtp")), raw


def test_a_mail_that_spends_its_budget_fails_alone_with_its_bytes(runtime, slow_parsing):
    (first, _), (slow, raw), (last, _) = stored(1), stored(2, SLOW), stored(3)

    outcomes = process_many([first, slow, last], runtime)

    assert [o.state for o in outcomes if isinstance(o, Outcome)] == ["done", "failed", "done"]
    row = Inbound.get_by_id(slow)
    assert row.state == "failed" and bytes(row.raw) == raw
    assert "more than 1 s of CPU" in row.reason and "max_mail_cpu_seconds" in row.reason
    assert f"postdesk ingest --replay {slow}" in row.reason
    assert row.working_until is not None  # a failed mail is not pending: no one looks


def test_a_mail_another_worker_holds_is_left_to_it(runtime) -> None:
    inbound_id, _ = stored(1)
    now = utcnow()
    assert inbound_claims.claim([inbound_id], now, now + timedelta(minutes=5)) == {inbound_id}

    (outcome,) = process_many([inbound_id], runtime)  # the queue handed it out again

    assert isinstance(outcome, Outcome) and outcome.state == "skipped"
    assert Inbound.get_by_id(inbound_id).state == "pending"


def test_the_sweeper_passes_over_a_claimed_mail_until_the_claim_runs_out(runtime) -> None:
    inbound_id, _ = stored(1)
    now = utcnow()
    dispatch.inbound_dispatched([inbound_id], now - timedelta(minutes=10))
    inbound_claims.claim([inbound_id], now, now + timedelta(minutes=5))

    assert dispatch.forgotten_inbound(now, 100, now=now) == []
    later = now + timedelta(minutes=6)
    assert dispatch.forgotten_inbound(later, 100, now=later) == [inbound_id]


class _Queue:
    """The sweeper's dispatcher: the ids it puts on the queue."""

    def __init__(self) -> None:
        self.inbound_ids: list[int] = []

    def inbound(self, inbound_id: int) -> None:
        self.inbound_ids.append(inbound_id)

    def outgoing(self, outbox_id: int) -> None:
        pass


def test_an_embedded_desk_restarted_after_a_crash_processes_the_crashed_mail_at_once(
        runtime) -> None:
    """The daemon was killed while its worker held a mail (a claim of minutes left): at
    start-up no worker of its can be working, so the mail becomes a ticket now, not once
    the dead worker's claim has run out."""
    inbound_id, _ = stored(1)
    now = utcnow()
    dispatch.inbound_dispatched([inbound_id], now - timedelta(seconds=30))
    assert inbound_claims.claim([inbound_id], now - timedelta(seconds=30),
                                now + timedelta(minutes=2)) == {inbound_id}

    queue = _Queue()
    scheduler.sweep(queue, now, everything=True, claims_stale=True)  # type: ignore[arg-type]
    assert queue.inbound_ids == [inbound_id]
    (outcome,) = process_many(queue.inbound_ids, runtime)

    assert isinstance(outcome, Outcome) and outcome.state == "done"
    row = Inbound.get_by_id(inbound_id)
    assert row.state == "done" and row.ticket is not None


def test_a_redispatched_mail_being_worked_on_occupies_one_worker_and_logs_once(
        runtime, slow_parsing, caplog) -> None:
    """Two workers given the same slow mail: before, both parsed it for as long as it
    took; now the second sees the first one's claim and is free at once."""
    inbound_id, _ = stored(1, SLOW)
    runner = ThreadRunner()
    caplog.set_level(logging.INFO, logger="postdesk.worker.pool")

    def work() -> None:
        with database.connection_context():
            runner.run(inbound_id)

    first = threading.Thread(target=work)
    first.start()
    assert slow_parsing.wait(10)
    second_started = time.thread_time()
    runner.run(inbound_id)  # the second worker
    second_cpu = time.thread_time() - second_started
    first.join(60)

    assert second_cpu < 0.5  # it did not parse the mail (parsing it spins for 1 s or more)
    processed = [r for r in caplog.records if r.getMessage() == "inbound processed"]
    assert len(processed) == 1
    assert Inbound.get_by_id(inbound_id).state == "failed"


def test_a_failure_recorded_late_leaves_a_finished_mail_as_it_is(runtime) -> None:
    inbound_id, _ = stored(1)
    process_many([inbound_id], runtime)
    assert inbound_results.record_failure(inbound_id, "late", retry=False,
                                          max_attempts=5) == "skipped"
    row = Inbound.get_by_id(inbound_id)
    assert row.state == "done" and row.reason != "late"


@pytest.fixture
def slow_storing(monkeypatch) -> None:
    """The rules that a new ticket with the SLOW subject sets off spin on the CPU (for up
    to 20 s, then go on as usual), after its ticket, message and events were written:
    a stand-in for a rule or a write step that is super-linear on some input."""
    run_automations = new_ticket.run_automations

    def run(ticket, *args, **kwargs):
        if ticket.subject == SLOW:
            spin_until = time.thread_time() + 20
            while time.thread_time() < spin_until:
                pass
        return run_automations(ticket, *args, **kwargs)

    monkeypatch.setattr(new_ticket, "run_automations", run)


def test_a_mail_whose_write_step_spends_its_budget_fails_without_half_a_ticket(
        runtime, slow_storing) -> None:
    (first, _), (slow, raw), (last, _) = stored(1), stored(2, SLOW), stored(3)

    started = time.thread_time()
    outcomes = process_many([first, slow, last], runtime)
    spent = time.thread_time() - started

    assert [o.state for o in outcomes if isinstance(o, Outcome)] == ["done", "failed", "done"]
    assert spent < 10  # the write step was stopped, not left to spin for 20 s
    row = Inbound.get_by_id(slow)
    assert row.state == "failed" and bytes(row.raw) == raw and row.ticket_id is None
    assert "reading and storing this mail took more than 1 s of CPU" in row.reason
    assert f"postdesk ingest --replay {slow}" in row.reason
    # nothing of the slow mail was written: no ticket, no message, no events
    assert [t.subject for t in Ticket.select().order_by(Ticket.id)] == ["Printer on fire"] * 2
    assert Message.select().where(Message.subject == SLOW).count() == 0
    assert Customer.select().where(Customer.email == "c2@customer.example").count() == 0


def test_a_mail_failed_in_its_write_step_is_replayed_with_a_higher_limit(
        runtime, slow_storing, migrated, make_settings) -> None:
    slow, _ = stored(2, SLOW)
    process_many([slow], runtime)
    assert Inbound.get_by_id(slow).state == "failed"

    reset_for_replay(slow)  # what `postdesk ingest --replay` does, with the limit raised
    generous = Runtime(make_settings(migrated, limits_max_mail_cpu_seconds=60))
    (outcome,) = process_many([slow], generous)

    assert isinstance(outcome, Outcome) and outcome.state == "done"
    assert Inbound.get_by_id(slow).state == "done"
    assert [t.subject for t in Ticket.select()] == [SLOW]
