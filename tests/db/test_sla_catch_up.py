"""SLA clocks recomputed after the worker's commit: never lost, on SQLite and PostgreSQL.

The worker marks a changed ticket in the transaction that stores the mail and
recomputes its clocks just after the commit. A worker that dies in between
leaves the mark; the daemon's sweeper recomputes the clocks at its next
start, and the SLA scan never reads a stale `next_at`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from mailbuild import customer_mail, wait_for
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.sla.tracking import catch_up as sla_catch_up
from postdesk.store import db, migrations
from postdesk.store.db import database
from postdesk.store.inbound import Arrival, store_inbound
from postdesk.store.models import Event, Ticket
from postdesk.store.sla_pending import SlaPending
from postdesk.store.sla_store import TicketSla
from postdesk.worker import process as processing
from postdesk.worker.process import process_inbound

SLA = """\
calendars:
  always: {timezone: UTC, hours: "24/7"}
policies:
  - name: standard
    calendar: always
    targets: {first_response: 1h, resolution: 4h}
    warn: ["50%"]
"""


@pytest.fixture
def settings(migrated: str, make_settings: Callable[..., Settings]) -> Settings:
    desk = make_settings(migrated)
    (Path(desk.path(desk.paths.rules)) / "sla.yaml").write_text(SLA)
    return desk


@pytest.fixture
def connected(settings: Settings) -> Iterator[Settings]:
    with database.connection_context():
        yield settings


def deliver(runtime: Runtime, n: int) -> int:
    raw = customer_mail(sender=f"Customer {n} <c{n}@customer.example>",
                        message_id=f"<m{n}@customer.example>").as_bytes()
    inbound_id = store_inbound(Arrival(raw=raw, mail_from=f"c{n}@customer.example",
                                       rcpt_to=("support@example.com",), source="smtp"))
    outcome = process_inbound(inbound_id, runtime)
    assert outcome.state == "done" and outcome.ticket_id is not None
    return outcome.ticket_id


def due_at(ticket_id: int) -> object:
    """When the first warning is due: 50 % of the first-response hour after creation."""
    created = Ticket.get_by_id(ticket_id).created_at.replace(microsecond=0)  # whole seconds
    return created + timedelta(minutes=30)


def test_an_idle_worker_recomputes_the_clocks_right_after_the_commit(connected) -> None:
    runtime = Runtime(connected)
    sla_catch_up._last_run = float("-inf")  # this process has not caught up yet
    ticket_id = deliver(runtime, 1)
    row = TicketSla.get(TicketSla.ticket == ticket_id)
    assert row.policy == "standard" and row.next_at == due_at(ticket_id)
    assert SlaPending.select().count() == 0


def test_the_last_mail_of_a_burst_gets_its_clocks_when_the_window_ends(connected) -> None:
    runtime = Runtime(connected)
    sla_catch_up._last_run = float("-inf")
    first = deliver(runtime, 1)  # caught up at once; the window opens
    second = deliver(runtime, 2)  # within the window: marked, not yet recomputed
    assert TicketSla.get(TicketSla.ticket == first).next_at == due_at(first)
    row = wait_for(lambda: TicketSla.get_or_none(TicketSla.ticket == second),
                   timeout=sla_catch_up.BATCH_WINDOW_S + 5)  # no mail, no sweeper needed
    assert row.next_at == due_at(second)
    assert wait_for(lambda: SlaPending.select().count() == 0)


def fire_timer(runtime: Runtime) -> None:
    """What the catch-up timer does when it fires, in a thread of its own as the timer's."""
    timer = threading.Thread(target=sla_catch_up._trailing_catch_up,
                             args=(runtime, database.obj))
    timer.start()
    timer.join()


def test_a_busy_worker_leaves_the_catch_up_to_its_own_next_commit(connected,
                                                                   monkeypatch) -> None:
    """The timer does not run beside the worker's batches; a commit after the window does
    the catch-up, and the timer only once the worker has paused."""
    runtime = Runtime(connected)
    timers: list[float] = []
    monkeypatch.setattr(sla_catch_up, "_catch_up_later",
                        lambda runtime, wait: timers.append(wait))
    sla_catch_up._last_run = float("-inf")
    first = deliver(runtime, 1)  # caught up at once; the window opens
    second = deliver(runtime, 2)  # within the window: marked, a timer asked for
    assert len(timers) == 1 and TicketSla.get_or_none(TicketSla.ticket == second) is None

    fire_timer(runtime)  # while the worker is busy
    assert TicketSla.get_or_none(TicketSla.ticket == second) is None  # left alone
    assert len(timers) == 2 and 0 < timers[1] <= sla_catch_up.BATCH_WINDOW_S / 2

    sla_catch_up._last_run -= sla_catch_up.BATCH_WINDOW_S  # the window has passed
    third = deliver(runtime, 3)  # the worker's next commit catches up both
    for ticket_id in (first, second, third):
        assert TicketSla.get(TicketSla.ticket == ticket_id).next_at == due_at(ticket_id)

    fourth = deliver(runtime, 4)  # within the new window, the last mail of the burst
    sla_catch_up._last_commit -= sla_catch_up.BATCH_WINDOW_S  # then the worker pauses
    fire_timer(runtime)
    assert TicketSla.get(TicketSla.ticket == fourth).next_at == due_at(fourth)
    assert SlaPending.select().count() == 0


def test_marks_left_by_a_worker_that_died_after_its_commit_are_caught_up(
        connected, monkeypatch) -> None:
    runtime = Runtime(connected)
    # the worker dies between its commit and the recompute
    monkeypatch.setattr(processing, "_catch_up_sla", lambda runtime: None)
    tickets = [deliver(runtime, n) for n in range(3)]
    assert TicketSla.select().count() == 0
    assert sorted(m.ticket_id for m in SlaPending.select()) == sorted(tickets)

    assert sla_catch_up.catch_up_all(runtime) == 3  # what the sweeper does
    for ticket_id in tickets:
        assert TicketSla.get(TicketSla.ticket == ticket_id).next_at == due_at(ticket_id)
    assert SlaPending.select().count() == 0
    assert sla_catch_up.catch_up_all(runtime) == 0


def test_one_ticket_whose_clocks_cannot_be_stored_spoils_nothing(connected, monkeypatch,
                                                                  caplog) -> None:
    runtime = Runtime(connected)
    monkeypatch.setattr(processing, "_catch_up_sla", lambda runtime: None)
    first, bad, last = (deliver(runtime, n) for n in range(3))
    # the first ticket already has clocks: the retry must not keep what the batch wrote
    assert sla_catch_up.refresh_pending(runtime, limit=1) == 1
    TicketSla.update(policy="old").where(TicketSla.ticket == first).execute()
    SlaPending.insert(ticket=first, marked_at=Ticket.get_by_id(first).created_at).execute()
    store_into = sla_catch_up.store_into

    def failing(row, ticket_id, *args, **kwargs):
        if ticket_id == bad:
            raise ValueError("a bug in the SLA")
        return store_into(row, ticket_id, *args, **kwargs)

    monkeypatch.setattr(sla_catch_up, "store_into", failing)
    assert sla_catch_up.catch_up_all(runtime) == 3

    assert TicketSla.get_or_none(TicketSla.ticket == bad) is None
    for ticket_id in (first, last):
        row = TicketSla.get(TicketSla.ticket == ticket_id)
        assert row.policy == "standard" and row.next_at == due_at(ticket_id)
    changed = [e.data for e in Event.select().where((Event.ticket == first)
                                                    & (Event.kind == "sla.policy_changed"))]
    assert changed == [{"old": "old", "new": "standard"}]  # recorded once, not lost
    assert f"SLA clocks of ticket {bad} not updated" in caplog.text
    assert SlaPending.select().count() == 0


def test_the_daemon_catches_up_marks_at_start(settings, monkeypatch, start_daemon) -> None:
    runtime = Runtime(settings)
    monkeypatch.setattr(processing, "_catch_up_sla", lambda runtime: None)
    with database.connection_context():
        ticket_id = deliver(runtime, 7)
        assert TicketSla.get_or_none(TicketSla.ticket == ticket_id) is None
    monkeypatch.undo()

    start_daemon(settings)  # its start-up sweep
    row = wait_for(lambda: TicketSla.get_or_none(TicketSla.ticket == ticket_id))
    assert row.next_at == due_at(ticket_id)
    assert SlaPending.select().count() == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_ticket_changed_while_its_clocks_are_worked_out_keeps_its_newer_mark(
        connected, monkeypatch) -> None:
    """SQLite works the clocks out before its write transaction: a mail stored for the
    ticket in between must not lose its mark (its clocks would go stale). (PostgreSQL
    locks the marks it takes for the whole catch-up.)"""
    runtime = Runtime(connected)
    monkeypatch.setattr(processing, "_catch_up_sla", lambda runtime: None)
    changed, quiet = deliver(runtime, 1), deliver(runtime, 2)
    evaluations = sla_catch_up._evaluations
    later = Ticket.get_by_id(changed).created_at + timedelta(minutes=5)

    def meanwhile(ids, config, now):
        found = evaluations(ids, config, now)
        with database.atomic():  # another worker stores a mail for the ticket
            sla_catch_up.mark(changed, later)
        return found

    monkeypatch.setattr(sla_catch_up, "_evaluations", meanwhile)
    assert sla_catch_up.refresh_pending(runtime) == 2

    assert [(m.ticket_id, m.marked_at) for m in SlaPending.select()] == [(changed, later)]
    assert TicketSla.get(TicketSla.ticket == quiet).next_at == due_at(quiet)
    assert TicketSla.get_or_none(TicketSla.ticket == changed) is None  # next round's
    monkeypatch.setattr(sla_catch_up, "_evaluations", evaluations)
    assert sla_catch_up.catch_up_all(runtime) == 1
    assert TicketSla.get(TicketSla.ticket == changed).next_at == due_at(changed)
    assert SlaPending.select().count() == 0


def test_a_worker_catches_up_only_the_tickets_it_marked(connected, monkeypatch) -> None:
    runtime = Runtime(connected)
    sla_catch_up._last_run = float("-inf")
    monkeypatch.setattr(processing, "_catch_up_sla", lambda runtime: None)
    others = deliver(runtime, 1)
    sla_catch_up._own.clear()  # as if another worker process had marked it
    monkeypatch.undo()
    sla_catch_up._last_run = float("-inf")
    mine = deliver(runtime, 2)

    assert TicketSla.get(TicketSla.ticket == mine).next_at == due_at(mine)
    assert [m.ticket_id for m in SlaPending.select()] == [others]  # for its worker
    assert sla_catch_up._own == {}


def test_a_catch_up_stays_on_its_database_when_the_process_moves_to_another(
        connected, monkeypatch, tmp_path) -> None:
    """The timer's catch-up was scheduled on this desk's database; the process points
    the proxy at another database while the catch-up works the clocks out (as the tests
    do, one desk after another). The clocks land in the catch-up's own database, and the
    other database gets nothing."""
    runtime = Runtime(connected)
    monkeypatch.setattr(processing, "_catch_up_sla", lambda runtime: None)
    ticket_id = deliver(runtime, 1)
    sla_catch_up._own[ticket_id] = 1
    ours = database.obj
    other_url = f"sqlite:///{tmp_path / 'other' / 'postdesk.db'}"
    (tmp_path / "other").mkdir()
    other = db.connect(other_url)
    with other.connection_context():
        migrations.migrate(other)
    database.initialize(ours)
    evaluations = sla_catch_up._evaluations

    def moved_meanwhile(ids, config, now):
        found = evaluations(ids, config, now)
        database.initialize(other)  # the process moves on, from another thread
        return found

    monkeypatch.setattr(sla_catch_up, "_evaluations", moved_meanwhile)
    sla_catch_up._last_commit = float("-inf")  # the worker has paused
    try:
        timer = threading.Thread(target=sla_catch_up._trailing_catch_up,
                                 args=(runtime, ours))
        timer.start()
        timer.join()
        assert database.obj is other
        with other.connection_context():
            assert TicketSla.select().count() == 0 and SlaPending.select().count() == 0
    finally:
        database.initialize(ours)
    assert TicketSla.get(TicketSla.ticket == ticket_id).next_at == due_at(ticket_id)
    assert SlaPending.select().count() == 0
