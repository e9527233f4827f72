"""Live SLA (issue 8/11): a stored clock moved on to `now` in business time, and the
indexed summary each ticket's row keeps for the queues."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from postdesk.config.runtime import Runtime
from postdesk.sla import parse_sla
from postdesk.sla.tracking import live as sla_live
from postdesk.sla.tracking import track as sla_track
from postdesk.store import db, migrations
from postdesk.store.db import database
from postdesk.store.models import SchemaVersion, Ticket
from postdesk.store.sla_store import TicketSla
from postdesk.tickets import service

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OFFICE_SLA = """\
calendars:
  office: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}}
policies:
  - name: standard
    calendar: office
    pause_on: [waiting_for_customer]
    targets: {first_response: 4h, resolution: 16h}
    warn: ["75%"]
"""


def office() -> object:
    return parse_sla(OFFICE_SLA).calendars["office"]


def running(**changes: object) -> dict[str, object]:
    clock: dict[str, object] = {
        "state": "running", "due": "2026-03-06T16:00:00+00:00", "elapsed_s": 0,
        "remaining_s": 4 * 3600, "target_s": 4 * 3600, "counting": True,
        "warn_at": "2026-03-06T15:00:00+00:00", "paused": [], "cycle": 1}
    clock.update(changes)
    return clock


def test_remaining_time_is_business_time_across_the_weekend() -> None:
    friday = datetime(2026, 3, 6, 16, 30, tzinfo=UTC)
    stored = running(elapsed_s=3 * 3600, remaining_s=3600,
                     due="2026-03-09T09:30:00+00:00", warn_at="2026-03-06T16:30:00+00:00")
    # Friday 16:30 -> Monday 09:15: 30 business minutes on Friday, 15 on Monday
    live = sla_live.live_clock("first_response", stored, friday, office(),  # type: ignore[arg-type]
                               datetime(2026, 3, 9, 9, 15, tzinfo=UTC))
    assert (live.state, live.remaining_s, live.elapsed_s) == ("warning", 900, 3 * 3600 + 2700)
    assert live.due == datetime(2026, 3, 9, 9, 30, tzinfo=UTC)


def test_states_ok_warning_breached_as_time_passes() -> None:
    as_of = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    stored = running(due="2026-03-02T13:00:00+00:00", warn_at="2026-03-02T12:00:00+00:00")
    cal = office()
    states = [(sla_live.live_clock("first_response", stored, as_of, cal,  # type: ignore[arg-type]
                                   as_of + timedelta(hours=h))) for h in (1, 3, 4, 5)]
    assert [(s.state, s.remaining_s) for s in states] == [
        ("ok", 3 * 3600), ("warning", 3600), ("breached", 0), ("breached", -3600)]
    # the due time does not move while the clock runs
    assert {s.due for s in states} == {datetime(2026, 3, 2, 13, tzinfo=UTC)}


def test_a_paused_clock_has_no_due_and_keeps_its_time() -> None:
    stored = running(state="paused", due=None, counting=False, elapsed_s=600,
                     remaining_s=4 * 3600 - 600)
    live = sla_live.live_clock("first_response", stored, MONDAY, office(),  # type: ignore[arg-type]
                               MONDAY + timedelta(days=3))
    assert (live.state, live.due, live.remaining_s) == ("paused", None, 4 * 3600 - 600)
    assert live.as_json() == {"state": "paused", "due": None, "remaining_s": 13800}


def test_without_its_calendar_a_clock_counts_wall_clock_time() -> None:
    stored = running()
    live = sla_live.live_clock("first_response", stored, MONDAY, None,
                               MONDAY + timedelta(hours=1))
    assert live.remaining_s == 3 * 3600


def test_worst_state_order() -> None:
    assert sla_live.worst(["met", "paused", "ok"]) == "ok"
    assert sla_live.worst(["ok", "warning", "met"]) == "warning"
    assert sla_live.worst(["paused", "breached"]) == "breached"
    assert sla_live.worst(["met", "paused"]) == "paused"
    assert sla_live.worst([]) is None


# --- the row's indexed columns, filled by sla_track.store ----------------------------------


@pytest.fixture
def desk(migrated: str, make_settings: Callable[..., object]) -> Iterator[Runtime]:
    settings = make_settings(migrated)
    rules = Path(settings.path(settings.paths.rules))  # type: ignore[attr-defined]
    (rules / "sla.yaml").write_text(OFFICE_SLA)
    with database.connection_context():
        yield Runtime(settings)  # type: ignore[arg-type]


def open_ticket(runtime: Runtime, when: datetime) -> int:
    with database.atomic():
        customer = service.find_or_create_customer("zoe@customer.example", "Zoë",
                                                   language="en", timezone=None, now=when)
        ticket = service.open_ticket(customer, "Printer on fire", now=when)
        sla_track.refresh(ticket, runtime, when)
    return int(ticket.id)


def test_store_fills_state_due_and_warning_columns(desk: Runtime) -> None:
    ticket_id = open_ticket(desk, MONDAY)
    row = TicketSla.get(TicketSla.ticket == ticket_id)
    # first response 4h: due 13:00, warned at 75% = 12:00; resolution 16h: Tuesday 17:00
    assert (row.state, row.due_at, row.warn_at) == (
        "ok", datetime(2026, 3, 2, 13, tzinfo=UTC), datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert row.clocks["first_response"]["counting"] is True
    with database.atomic():
        ticket = Ticket.get_by_id(ticket_id)
        service.set_status(ticket, "waiting_for_customer", actor="agent@example.com",
                           now=MONDAY + timedelta(hours=1))
        sla_track.refresh(ticket, desk, MONDAY + timedelta(hours=1))
    row = TicketSla.get(TicketSla.ticket == ticket_id)
    assert (row.state, row.due_at, row.warn_at) == ("paused", None, None)
    with database.atomic():
        service.set_status(ticket, "in_progress", actor="agent@example.com",
                           now=MONDAY + timedelta(hours=7))
        sla_track.refresh(ticket, desk, MONDAY + timedelta(hours=7))
    row = TicketSla.get(TicketSla.ticket == ticket_id)
    # 1h used Monday; resumed Monday 16:00: 1h left on Monday, due Tuesday 11:00 -> warning
    # since Monday 16:00 + ... (75% = 3h elapsed: Tuesday 10:00)
    assert row.due_at == datetime(2026, 3, 3, 11, tzinfo=UTC)
    assert row.warn_at == datetime(2026, 3, 3, 10, tzinfo=UTC)
    assert row.state == "ok"


def test_migration_7_backfills_state_and_due_from_stored_clocks(database_url: str) -> None:
    database = db.connect(database_url)
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    with database.connection_context():
        migrations.migrate(database)
        for column in ("state", "due_at", "warn_at"):
            database.execute_sql(f'DROP INDEX IF EXISTS "ticket_sla_{column}"')
            database.execute_sql(f'ALTER TABLE "ticket_sla" DROP COLUMN "{column}"')
        for column in ("team", "assignee", "request_type", "priority"):
            database.execute_sql(f'DROP INDEX IF EXISTS "ticket_{column}"')
            database.execute_sql(f'DROP INDEX IF EXISTS "ticket_status_{column}"')
        SchemaVersion.update(version=6).execute()
        customer = service.find_or_create_customer("zoe@customer.example", "", language=None,
                                                   timezone=None, now=now)
        tickets = [service.open_ticket(customer, f"t{i}", now=now).id for i in range(3)]
        stored = {
            tickets[0]: {"first_response": {"state": "running",
                                            "due": "2026-11-22T15:00:00+01:00"},
                         "resolution": {"state": "running", "due": "2026-11-23T12:00:00+00:00"}},
            tickets[1]: {"first_response": {"state": "met", "due": None},
                         "resolution": {"state": "paused", "due": None}},
            tickets[2]: {"first_response": {"state": "breached",
                                            "due": "2026-11-21T12:00:00+00:00"}},
        }

        mark = database.param
        for ticket_id, clocks in stored.items():
            database.execute_sql(
                'INSERT INTO "ticket_sla" ("ticket_id", "policy", "clocks", "fired", '
                f'"updated_at") VALUES ({mark}, {mark}, {mark}, {mark}, {mark})',
                (ticket_id, "standard", json.dumps(clocks), "[]", "2026-11-22 12:00:00"))

        assert migrations.migrate(database) == (6, migrations.head_version())

        indexes = {index.name for index in database.get_indexes("ticket")}
        assert {"ticket_team", "ticket_status_assignee", "ticket_status_team"} <= indexes
        rows = {r.ticket_id: (r.state, r.due_at) for r in TicketSla.select()}
        assert rows == {tickets[0]: ("ok", datetime(2026, 11, 22, 14, tzinfo=UTC)),
                        tickets[1]: ("paused", None), tickets[2]: ("breached", None)}
