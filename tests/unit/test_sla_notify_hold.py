"""SLA warnings reach people only in their business hours (issue 8), with the clock passed in.

The policy's calendar runs every day around the clock except Polish holidays
(so it is not 24/7 and its warnings may wait), so the scheduler raises
warnings at night; the office calendar (Warsaw, Mon-Fri 08:00-16:00, Polish
holidays) says when people are at work. A 24/7 policy's warnings go at once,
and a held warning goes at the clock's due time at the latest (issue 24).
Ann has no zone of her own (the calendar's: Warsaw); Bob works from New York,
where the same hours are New York time. 2026-03-08 is the US switch
to summer time, Warsaw switches on 2026-03-29.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from postdesk.channels.email.sender import send_outbox
from postdesk.config.runtime import Runtime
from postdesk.errors import RuleError
from postdesk.sla import parse_sla
from postdesk.sla.notify_hours import in_zone, recipient_calendar, release_at
from postdesk.sla.tracking import track as sla_track
from postdesk.sla.tracking.scan import scan
from postdesk.store.db import database
from postdesk.store.models import Event, Outbox, Ticket
from postdesk.tickets import service
from postdesk.worker.scheduler import sweep

SLA = """\
calendars:
  office:
    timezone: Europe/Warsaw
    hours: {mon-fri: ["08:00-16:00"]}
    holidays: {country: PL}
  always: {timezone: UTC, hours: "24/7"}
  nights: {timezone: UTC, hours: {mon-sun: ["00:00-24:00"]}, holidays: {country: PL}}
policies:
  - name: standard
    calendar: nights
    targets: {first_response: 90h, resolution: 400h}
    warn: ["25%"]
notify_hours:
  calendar: office
  teams: {night-shift: always}
  agents: {Carl@Example.com: always}
"""
TEAMS = """\
teams:
  - name: support
    agents:
      - {email: ann@example.com, name: Ann}
      - {email: bob@example.com, name: Bob, timezone: America/New_York}
  - name: night-shift
    agents:
      - {email: nina@example.com, name: Nina}
"""
RULES = """\
rules:
  - name: warn-the-team
    on: sla.warning
    if: {changed_from: first_response}
    then:
      - notify: {template: sla_warning, to: team}
  - name: breach-to-the-assignee
    on: sla.breached
    if: {changed_from: first_response}
    then:
      - notify: {template: sla_warning, to: assignee}
"""
FRIDAY_NIGHT = datetime(2026, 3, 6, 22, 30, tzinfo=UTC)  # 23:30 in Warsaw, 17:30 in New York
MONDAY_WARSAW = datetime(2026, 3, 9, 7, 0, tzinfo=UTC)  # 08:00 CET
MONDAY_NEW_YORK = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # 08:00 EDT (summer time since Sunday)
SATURDAY_NIGHT = FRIDAY_NIGHT + timedelta(hours=22, minutes=31)  # past the 25 % warning
BREACH = FRIDAY_NIGHT + timedelta(hours=90)  # Tuesday 16:30 UTC, 17:30 in Warsaw
WEDNESDAY_WARSAW = datetime(2026, 3, 11, 7, 0, tzinfo=UTC)
CONFIG = parse_sla(SLA)


# --- whose hours, and when they open (pure) ---------------------------------------------


def test_the_next_opening_after_a_weekend_a_holiday_and_in_the_recipients_zone() -> None:
    office = CONFIG.calendars["office"]
    assert release_at(office, FRIDAY_NIGHT) == MONDAY_WARSAW
    assert release_at(office, datetime(2026, 3, 9, 9, 0, tzinfo=UTC)) is None  # open: send
    # Saturday before Easter: Easter Monday (2026-04-06) is a Polish holiday -> Tuesday
    # 08:00 summer time (CEST, UTC+2)
    assert release_at(office, datetime(2026, 4, 4, 10, 0, tzinfo=UTC)) == datetime(
        2026, 4, 7, 6, 0, tzinfo=UTC)
    new_york = in_zone(office, "America/New_York")
    assert release_at(new_york, FRIDAY_NIGHT) == MONDAY_NEW_YORK
    # 16:00 is closing time in Warsaw, 11:00 in New York is open
    assert release_at(new_york, datetime(2026, 3, 10, 15, 0, tzinfo=UTC)) is None
    assert release_at(office, datetime(2026, 3, 10, 15, 0, tzinfo=UTC)) == datetime(
        2026, 3, 11, 7, 0, tzinfo=UTC)


def test_an_agent_a_team_or_everyone() -> None:
    hours, fallback = CONFIG.notify_hours, CONFIG.default.calendar
    assert recipient_calendar(hours, fallback, "carl@example.com").name == "always"
    assert recipient_calendar(hours, fallback, "nina@example.com",
                              ("support", "night-shift")).name == "always"
    ann = recipient_calendar(hours, fallback, "ann@example.com", ("support",))
    assert ann.name == "office" and ann.zone.key == "Europe/Warsaw"
    bob = recipient_calendar(hours, fallback, "bob@example.com", ("support",),
                             "America/New_York")
    assert bob.name == "office" and bob.zone.key == "America/New_York"
    without = parse_sla(SLA.split("notify_hours:")[0])
    assert recipient_calendar(without.notify_hours, without.default.calendar,
                              "ann@example.com").name == "nights"  # the default policy's


def test_a_bad_notify_hours_section_names_its_line() -> None:
    with pytest.raises(RuleError, match=r"rules/sla.yaml:14: unknown calendar 'ofice' "
                                        r"\(did you mean 'office'\?\)"):
        parse_sla(SLA.replace("  calendar: office\n  teams", "  calendar: ofice\n  teams"))
    with pytest.raises(RuleError, match=r"rules/sla.yaml:14: unknown key 'calender'"):
        parse_sla(SLA.replace("  calendar: office\n  teams", "  calender: office\n  teams"))


# --- held in the outbox, released by the sweeper and the sender -------------------------


class Recorder:
    """A dispatcher that only notes which rows the sweeper handed on."""

    def __init__(self) -> None:
        self.outgoing_ids: list[int] = []

    def inbound(self, inbound_id: int) -> None:
        pass

    def outgoing(self, outbox_id: int) -> None:
        self.outgoing_ids.append(outbox_id)


@pytest.fixture
def desk(migrated: str, make_settings: Callable[..., Any]) -> Iterator[Runtime]:
    settings = make_settings(migrated)
    rules = Path(settings.path(settings.paths.rules))
    (rules / "sla.yaml").write_text(SLA)
    (rules / "teams.yaml").write_text(TEAMS)
    (rules / "automation.yaml").write_text(RULES)
    with database.connection_context():
        yield Runtime(settings)


def open_ticket(runtime: Runtime) -> Ticket:
    with database.atomic():
        customer = service.find_or_create_customer("zoe@customer.example", "Zoë",
                                                   language="en", timezone=None,
                                                   now=FRIDAY_NIGHT)
        ticket = service.open_ticket(customer, "Printer on fire", now=FRIDAY_NIGHT,
                                     team="support")
        Ticket.update(assignee="ann@example.com").where(Ticket.id == ticket.id).execute()
        sla_track.refresh(ticket, runtime, FRIDAY_NIGHT)
    return ticket


def rows(kind: str = "sla_warning") -> dict[str, Outbox]:
    return {row.recipient: row for row in Outbox.select().where(Outbox.kind == kind)}


def sent_files(runtime: Runtime) -> list[Path]:
    folder = Path(runtime.settings.outgoing_transport.removeprefix("maildir:"))
    return sorted(folder.rglob("*.eml")) if folder.exists() else []


def test_a_night_warning_waits_for_each_agents_morning_and_goes_once(desk: Runtime) -> None:
    ticket = open_ticket(desk)
    result = scan(SATURDAY_NIGHT, desk)  # the 25 % warning at 21:00 on Saturday
    assert result.fired == [(ticket.id, "first_response#1:25%")]
    assert result.outbox_ids == []  # nothing to send tonight
    held = rows()
    assert set(held) == {"ann@example.com", "bob@example.com"}
    assert held["ann@example.com"].not_before == MONDAY_WARSAW
    assert held["ann@example.com"].next_attempt_at == MONDAY_WARSAW
    assert held["bob@example.com"].not_before == MONDAY_NEW_YORK
    events = [e.data for e in Event.select().where(Event.kind == "mail.held").order_by(Event.id)]
    assert [(e["to"], e["until"], e["zone"]) for e in events] == [
        ("ann@example.com", "2026-03-09T08:00:00+01:00", "Europe/Warsaw"),
        ("bob@example.com", "2026-03-09T08:00:00-04:00", "America/New_York")]

    saturday = datetime(2026, 3, 8, 10, 0, tzinfo=UTC)  # Sunday, in fact
    ann = held["ann@example.com"].id
    assert send_outbox(ann, desk, now=saturday) == "skipped"  # a stray dispatch is refused
    recorder = Recorder()
    sweep(recorder, saturday)
    sweep(recorder, MONDAY_WARSAW - timedelta(seconds=1))
    assert recorder.outgoing_ids == []
    sweep(recorder, MONDAY_WARSAW + timedelta(seconds=5))
    assert recorder.outgoing_ids == [ann]
    assert send_outbox(ann, desk, now=MONDAY_WARSAW + timedelta(seconds=5)) == "sent"
    assert send_outbox(ann, desk, now=MONDAY_WARSAW + timedelta(seconds=6)) == "skipped"
    [mail] = sent_files(desk)
    message = message_from_bytes(mail.read_bytes())
    assert message["To"] == "ann@example.com"
    assert parsedate_to_datetime(message["Date"]) == MONDAY_WARSAW  # dated when it went out
    assert "First response" in message["Subject"]
    bob = held["bob@example.com"].id
    assert send_outbox(bob, desk, now=MONDAY_WARSAW + timedelta(hours=1)) == "skipped"
    sweep(recorder, MONDAY_NEW_YORK + timedelta(seconds=5))
    assert recorder.outgoing_ids == [ann, bob]
    assert send_outbox(bob, desk, now=MONDAY_NEW_YORK + timedelta(seconds=5)) == "sent"
    assert len(sent_files(desk)) == 2
    scan(MONDAY_NEW_YORK + timedelta(minutes=1), desk)  # no warning again
    assert Outbox.select().where(Outbox.kind == "sla_warning").count() == 2
    scan(BREACH + timedelta(minutes=1), desk)  # the breach, at once
    assert Outbox.select().where(Outbox.kind == "sla_warning").count() == 2 + 1


def test_a_breach_goes_at_once_and_anytime_decides_either_way(desk: Runtime) -> None:
    open_ticket(desk)
    late = BREACH + timedelta(minutes=1)  # 17:31 in Warsaw, after office hours
    scan(late, desk)  # warning and breach in one scan
    mine = [row for row in Outbox.select().order_by(Outbox.id)]
    # the warning is past its due time: held no longer than the breach, it goes now
    assert [(row.recipient, row.not_before) for row in mine] == [
        ("ann@example.com", None), ("bob@example.com", None), ("ann@example.com", None)]
    breach = mine[-1]
    assert breach.next_attempt_at == late
    assert send_outbox(breach.id, desk, now=late) == "sent"

    Outbox.delete().execute()
    flipped = RULES.replace("{template: sla_warning, to: team}",
                            "{template: sla_warning, to: team, anytime: true}").replace(
        "{template: sla_warning, to: assignee}",
        "{template: sla_warning, to: assignee, anytime: false}")
    (Path(desk.settings.path(desk.settings.paths.rules)) / "automation.yaml").write_text(
        flipped)
    desk = Runtime(desk.settings)
    second = open_ticket(desk)
    result = scan(late, desk)
    held = {(row.recipient, row.not_before) for row in Outbox.select()
            .where(Outbox.ticket == second.id)}
    assert held == {("ann@example.com", None), ("bob@example.com", None),  # the warnings
                    ("ann@example.com", WEDNESDAY_WARSAW)}  # the breach, held as asked
    assert len(result.outbox_ids) == 2


def test_without_business_hours_nothing_is_held(desk: Runtime) -> None:
    sla = Path(desk.settings.path(desk.settings.paths.rules)) / "sla.yaml"
    sla.write_text(SLA.replace("  calendar: office\n  teams", "  calendar: always\n  teams"))
    open_ticket(desk)
    result = scan(SATURDAY_NIGHT, desk)
    assert len(result.outbox_ids) == 2
    assert all(row.not_before is None for row in Outbox.select())


def test_a_24_7_policy_warns_at_once_at_night(desk: Runtime) -> None:
    """Issue 24: an urgent ticket's warning was held until 08:00, hours after its breach."""
    sla = Path(desk.settings.path(desk.settings.paths.rules)) / "sla.yaml"
    sla.write_text(SLA.replace("    calendar: nights\n", "    calendar: always\n"))
    open_ticket(desk)
    result = scan(FRIDAY_NIGHT + timedelta(hours=22, minutes=31), desk)
    assert len(result.outbox_ids) == 2  # Ann and Bob, tonight
    assert [row.not_before for row in Outbox.select()] == [None, None]
    assert not Event.select().where(Event.kind == "mail.held").exists()


def test_a_held_warning_goes_at_the_due_time_at_the_latest(desk: Runtime) -> None:
    sla = Path(desk.settings.path(desk.settings.paths.rules)) / "sla.yaml"
    sla.write_text(SLA.replace("{first_response: 90h, resolution: 400h}",
                               "{first_response: 1h, resolution: 400h}"))
    open_ticket(desk)
    scan(FRIDAY_NIGHT + timedelta(minutes=31), desk)  # the 25 % warning at 22:45
    due = FRIDAY_NIGHT + timedelta(hours=1)
    assert {row.recipient: row.not_before for row in Outbox.select()} == {
        "ann@example.com": due, "bob@example.com": due}  # not Monday morning


def test_the_shipped_rule_warns_the_assignee_in_her_morning(desk: Runtime) -> None:
    from postdesk.config.shipped import shipped

    shipped = (shipped("rules") / "automation.yaml").read_text()
    (Path(desk.settings.path(desk.settings.paths.rules)) / "automation.yaml").write_text(shipped)
    desk = Runtime(desk.settings)
    ticket = open_ticket(desk)
    scan(SATURDAY_NIGHT, desk)
    [warning] = Outbox.select().where(Outbox.kind == "sla_warning")
    assert (warning.recipient, warning.not_before) == ("ann@example.com", MONDAY_WARSAW)
    held = Event.get(Event.kind == "mail.held")
    assert (held.ticket_id, held.rule) == (ticket.id, "warn-the-assignee-before-a-breach")


def test_the_shipped_rule_tells_the_team_lead_of_a_breach_at_once(desk: Runtime) -> None:
    """Issue 24: the shipped automation.yaml had no rule on sla.breached."""
    from postdesk.config.shipped import shipped

    rules = Path(desk.settings.path(desk.settings.paths.rules))
    (rules / "automation.yaml").write_text((shipped("rules") / "automation.yaml").read_text())
    (rules / "teams.yaml").write_text(TEAMS.replace(
        "  - name: support\n", "  - name: support\n    lead: lead@example.com\n"))
    desk = Runtime(desk.settings)
    ticket = open_ticket(desk)
    late = BREACH + timedelta(minutes=1)
    result = scan(late, desk)
    assert (ticket.id, "first_response#1:breach") in result.fired
    breach = [row for row in Outbox.select().where(Outbox.kind == "sla_warning")
              if row.recipient == "lead@example.com"]
    assert [(row.not_before, row.id in result.outbox_ids) for row in breach] == [(None, True)]
    assert send_outbox(breach[0].id, desk, now=late) == "sent"
    message = message_from_bytes(sent_files(desk)[-1].read_bytes())
    assert message["To"] == "lead@example.com"
    assert "SLA breached: First response" in message["Subject"]
