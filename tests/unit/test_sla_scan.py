"""SLA tracking and the scheduler's scan: history -> SlaEvents, next_at, fire once (issue 8).

The pure part (history -> events, what is pending) needs no database; the
scan runs on SQLite and PostgreSQL with the clock passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from postdesk.config.runtime import Runtime
from postdesk.sla import SlaEvent, compute_clocks, parse_sla
from postdesk.sla.tracking import track as sla_track
from postdesk.sla.tracking.scan import due_rows, scan, scan_ticket
from postdesk.sla.tracking.track import PAUSED_BY_RULE, Happening, Start, to_sla_events
from postdesk.store.db import database
from postdesk.store.models import Event, Ticket
from postdesk.store.sla_store import TicketSla
from postdesk.tickets import service

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
SLA = """\
calendars:
  always: {timezone: UTC, hours: "24/7"}
policies:
  - name: urgent
    if: {priority: [urgent]}
    calendar: always
    targets: {first_response: 15m, resolution: 1h}
  - name: standard
    calendar: always
    pause_on: [waiting_for_customer]
    targets: {first_response: 1h, next_response: 2h, resolution: 4h}
    warn: ["50%"]
"""
RULES = """\
rules:
  - name: tag-late-answers
    on: sla.breached
    if: {changed_from: first_response}
    then:
      - add_tag: late
  - name: tag-half-time
    on: sla.warning
    if: {changed_to: "50%"}
    then:
      - add_tag: half-time
"""


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# --- history -> SlaEvents (pure) ----------------------------------------------------------


def test_history_becomes_sla_events_with_the_values_at_creation() -> None:
    history = [
        Happening(at(0), "ticket.created", {"subject": "Printer"}, "zoe@customer.example"),
        Happening(at(0), "message.received", {"message": 1}, "zoe@customer.example",
                  "in", "public", "zoe@customer.example"),
        Happening(at(5), "note.added", {"message": 2}, "agent@example.com"),
        Happening(at(6), "message.sent", {"message": 3}, "system", "out", "public", "system"),
        Happening(at(10), "message.sent", {"message": 4}, "agent@example.com", "out",
                  "public", "agent@example.com"),
        Happening(at(11), "status.changed", {"old": "new", "new": "waiting_for_customer"}),
        Happening(at(20), "message.received", {"message": 5}, "zoe@customer.example",
                  "in", "internal", "zoe@customer.example"),  # out-of-office: nothing
        Happening(at(30), "message.received", {"message": 6}, "zoe@customer.example",
                  "in", "public", "zoe@customer.example"),
        Happening(at(31), "priority.changed", {"old": {"priority": "normal"},
                                                "new": {"priority": "high"}}),
        Happening(at(32), "assignee.changed", {"old": {"team": None, "assignee": None},
                                                "new": {"team": "hardware",
                                                        "assignee": None}}),
    ]
    start = Start(at(0), status="waiting_for_customer", priority="high", team="hardware")
    assert to_sla_events(start, history) == [
        SlaEvent(at(0), "status", "new"),
        SlaEvent(at(0), "created", priority="normal"),
        SlaEvent(at(10), "agent_reply"),
        SlaEvent(at(11), "status", "waiting_for_customer"),
        SlaEvent(at(30), "customer_reply"),
        SlaEvent(at(31), "priority", "high"),
        SlaEvent(at(32), "assign", "hardware"),
    ]


def test_a_rule_pause_holds_the_clocks_until_resumed_but_not_a_resolution() -> None:
    history = [
        Happening(at(0), "ticket.created", {}),
        Happening(at(10), "sla.paused", {"old": {"sla_paused": False},
                                          "new": {"sla_paused": True}}),
        Happening(at(20), "status.changed", {"old": "new", "new": "resolved"}),
        Happening(at(30), "status.changed", {"old": "resolved", "new": "in_progress"}),
        Happening(at(40), "sla.resumed", {"old": {"sla_paused": True},
                                           "new": {"sla_paused": False}}),
    ]
    events = to_sla_events(Start(at(0), status="in_progress"), history)
    assert [(e.at, e.to) for e in events if e.type == "status"] == [
        (at(0), "new"), (at(10), PAUSED_BY_RULE), (at(20), "resolved"),
        (at(30), PAUSED_BY_RULE), (at(40), "in_progress")]


def test_pending_and_next_due_skip_fired_keys_and_warnings_of_met_clocks() -> None:
    config = parse_sla(SLA)
    policy = config.policy("standard")
    assert policy is not None
    events = [SlaEvent(at(0), "created", priority="normal"), SlaEvent(at(40), "agent_reply")]
    clocks = compute_clocks(config, policy, events, at(45))
    # first_response's 50% (at 30m) passed before the reply: moot once the clock is met
    assert sla_track.pending_crossings(clocks, (), at(45)) == []
    assert sla_track.next_due(clocks, ()) == at(120)  # resolution 50%
    assert sla_track.next_due(clocks, ["resolution#1:50%"]) == at(240)
    late = compute_clocks(config, policy, events[:1], at(61))
    assert [c.key for c in sla_track.pending_crossings(late, (), at(61))] == [
        "first_response#1:50%", "first_response#1:breach"]


# --- the scan, on a database ------------------------------------------------------------


@pytest.fixture
def desk(migrated: str, make_settings: Callable[..., object]) -> Iterator[Runtime]:
    settings = make_settings(migrated)
    rules = Path(settings.path(settings.paths.rules))  # type: ignore[attr-defined]
    (rules / "sla.yaml").write_text(SLA)
    (rules / "automation.yaml").write_text(RULES)
    with database.connection_context():
        yield Runtime(settings)  # type: ignore[arg-type]


def new_ticket(runtime: Runtime, when: datetime = T0, email: str = "zoe@customer.example"
               ) -> Ticket:
    with database.atomic():
        customer = service.find_or_create_customer(email, "Zoë", language="en",
                                                   timezone=None, now=when)
        ticket = service.open_ticket(customer, "Printer on fire", now=when)
        service.add_message(ticket, direction="in", visibility="public", author_email=email,
                            author_name="Zoë", subject="Printer on fire", text="fire",
                            body="fire", html=None, message_id=f"<{email}>", inbound=None,
                            attachments=(), now=when)
        sla_track.refresh(ticket, runtime, when)
    return ticket


def fired_events(ticket_id: int) -> list[tuple[str, str]]:
    return [(e.kind, e.data["key"]) for e in Event.select().where(
        (Event.ticket == ticket_id) & Event.kind.in_(("sla.warning", "sla.breached")))
        .order_by(Event.id)]


def test_warnings_and_breaches_fire_once_each_and_run_the_rules(desk: Runtime) -> None:
    ticket = new_ticket(desk)
    row = TicketSla.get(TicketSla.ticket == ticket.id)
    assert row.policy == "standard" and row.next_at == at(30)
    assert row.clocks["first_response"]["state"] == "running"

    assert scan(at(10), desk).tickets == 0  # nothing due: the row is not even read
    first = scan(at(45), desk)
    assert first.fired == [(ticket.id, "first_response#1:50%")]
    assert scan(at(45), desk).fired == []  # the same moment again: nothing twice
    late = scan(at(300), desk)
    assert [key for _, key in late.fired] == [
        "first_response#1:breach", "resolution#1:50%", "resolution#1:breach"]
    assert scan(at(301), desk).fired == []
    assert fired_events(ticket.id) == [
        ("sla.warning", "first_response#1:50%"), ("sla.breached", "first_response#1:breach"),
        ("sla.warning", "resolution#1:50%"), ("sla.breached", "resolution#1:breach")]
    row = TicketSla.get(TicketSla.ticket == ticket.id)
    assert row.next_at is None and row.checked_until == at(300)
    assert sorted(Ticket.get_by_id(ticket.id).tags) == ["half-time", "late"]
    assert Event.get(Event.kind == "tags.changed").rule == "tag-half-time"


def test_a_paused_ticket_is_not_scanned_and_resumes_with_its_time(desk: Runtime) -> None:
    ticket = new_ticket(desk)
    with database.atomic():
        service.add_message(ticket, direction="out", visibility="public",
                            author_email="agent@example.com", author_name="Agent",
                            subject="Re", text="serial?", body="serial?", html=None,
                            message_id=None, inbound=None, attachments=(), now=at(10))
        service.set_status(ticket, "waiting_for_customer", actor="agent@example.com",
                           now=at(11))
        sla_track.refresh(ticket, desk, at(11))
    row = TicketSla.get(TicketSla.ticket == ticket.id)
    assert row.next_at is None and row.clocks["resolution"]["state"] == "paused"
    assert scan(at(1000), desk).tickets == 0
    with database.atomic():
        service.set_status(ticket, "in_progress", actor="zoe@customer.example", now=at(1000))
        sla_track.refresh(ticket, desk, at(1000))
    # 11 minutes ran before the pause: the 50% mark (120m) is 109m after the resume
    assert TicketSla.get(TicketSla.ticket == ticket.id).next_at == at(1109)


def test_a_priority_change_switches_policy_and_records_it(desk: Runtime) -> None:
    ticket = new_ticket(desk)
    with database.atomic():
        service.change_ticket(ticket, "priority.changed", actor="agent@example.com",
                              now=at(20), priority="urgent")
        sla_track.refresh(ticket, desk, at(20))
    row = TicketSla.get(TicketSla.ticket == ticket.id)
    assert row.policy == "urgent" and row.next_at == at(15)  # already breached: next scan
    change = Event.get(Event.kind == "sla.policy_changed")
    assert change.data == {"old": "standard", "new": "urgent"}
    assert [key for _, key in scan(at(20), desk).fired] == ["first_response#1:breach"]


def test_batches_walk_every_due_row_and_a_failing_ticket_does_not_stop_the_scan(
        desk: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    tickets = [new_ticket(desk, at(i), f"c{i}@customer.example") for i in range(5)]
    assert [t for _, t, _ in due_rows(at(100), limit=10)] == [t.id for t in tickets]
    broken = tickets[2].id
    evaluate = sla_track.evaluate

    def failing(ticket: Ticket, *args: object) -> sla_track.Evaluation:
        if ticket.id == broken:
            raise RuntimeError("boom")
        return evaluate(ticket, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(sla_track, "evaluate", failing)
    result = scan(at(100), desk, batch=2)
    assert result.tickets == 5 and result.failed == [broken]
    assert sorted({t for t, _ in result.fired}) == sorted(t.id for t in tickets if t.id != broken)
    monkeypatch.setattr(sla_track, "evaluate", evaluate)
    assert [t for t, _ in scan(at(100), desk).fired] == [broken, broken]


def test_a_row_another_scan_moved_on_is_left_alone(desk: Runtime) -> None:
    ticket = new_ticket(desk)
    scan(at(45), desk)
    config = sla_track.sla_config(desk)
    assert config is not None
    with database.atomic():
        assert scan_ticket(ticket.id, config, desk, at(45)) == ([], [])
    assert len(fired_events(ticket.id)) == 1
