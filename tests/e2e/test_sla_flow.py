"""The SLA end to end (issue 8): a ticket over SMTP, the agent asks, the clock pauses,
the customer answers, the clock resumes; the scheduler's scans, with the clock passed
in, fire each warning and breach once and the rules react."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from mailbuild import customer_mail, processed, read_outgoing, send_mail, wait_for
from postdesk.automation import EventFacts
from postdesk.cli.context import Context
from postdesk.cli.sla import sla_group
from postdesk.config.runtime import Runtime
from postdesk.sla.tracking import track as sla_track
from postdesk.sla.tracking.scan import scan
from postdesk.store.db import database, utcnow
from postdesk.store.models import Event, Ticket
from postdesk.store.sla_store import TicketSla
from postdesk.tickets import service
from postdesk.tickets.automation import Trigger, run_automations

SLA = """\
calendars:
  always: {timezone: UTC, hours: "24/7"}
policies:
  - name: standard
    calendar: always
    pause_on: [waiting_for_customer]
    targets: {first_response: 1h, next_response: 2h, resolution: 4h}
    warn: ["50%", "30m before"]
"""
SLA_RULES = """
  - name: escalate-breaches
    on: sla.breached
    then:
      - add_tag: sla-breached
"""


def sla_keys(kind: str) -> list[str]:
    return sorted(e.data["key"] for e in Event.select().where(Event.kind == kind))


def test_pause_while_waiting_then_warnings_and_breaches_fire_once(
        make_settings, sqlite_url, start_daemon, tmp_path: Path) -> None:
    settings = make_settings(sqlite_url)
    rules = Path(settings.path(settings.paths.rules))
    (rules / "sla.yaml").write_text(SLA)
    automation = rules / "automation.yaml"
    automation.write_text(automation.read_text() + SLA_RULES)  # the shipped rules, and one
    daemon = start_daemon(settings)
    runtime = Runtime(settings)

    send_mail(daemon, customer_mail())
    wait_for(processed(1))
    ticket = Ticket.get()
    created = sec(ticket.created_at)  # the clocks count whole seconds
    with database.atomic():
        sla_track.refresh(ticket, runtime, utcnow())
    row = TicketSla.get(TicketSla.ticket == ticket.id)
    assert row.policy == "standard" and row.next_at == created + timedelta(minutes=30)

    # the agent answers and asks a question: #status waiting_for_customer
    asked = utcnow()
    with database.atomic():
        service.add_message(ticket, direction="out", visibility="public",
                            author_email="agent@example.com", author_name="Agent",
                            subject=f"Re: [#{ticket.id}] Printer on fire",
                            text="Which model is it?", body="Which model is it?", html=None,
                            message_id=None, inbound=None, attachments=(), now=asked)
        service.set_status(ticket, "waiting_for_customer", actor="agent@example.com",
                           now=asked)
        run_automations(ticket, Trigger(EventFacts(
            "status.changed", author_role="agent", author_email="agent@example.com",
            old="new", new="waiting_for_customer")), runtime, asked)
        sla_track.refresh(ticket, runtime, asked)
    row = TicketSla.get(TicketSla.ticket == ticket.id)
    assert Ticket.get_by_id(ticket.id).sla_paused is True  # the shipped rule 2
    assert row.clocks["first_response"]["state"] == "met"
    assert row.clocks["resolution"]["state"] == "paused"
    assert row.next_at is None  # paused: the scan does not even read it
    assert scan(created + timedelta(days=3), runtime).tickets == 0

    # the customer answers: the shipped rule 1 resumes work and the clock
    send_mail(daemon, customer_mail(subject=f"Re: [#{ticket.id}] Printer on fire",
                                    body="An HP LaserJet 4.\n",
                                    message_id="<answer@customer.example>"))
    wait_for(processed(2))
    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.status == "in_progress" and ticket.sla_paused is False
    with database.atomic():
        sla_track.refresh(ticket, runtime, utcnow())
    resumed = sec(Event.select().where(Event.kind == "status.changed")
                  .order_by(Event.id.desc()).get().created_at)
    replied = sec(Event.select().where(Event.kind == "message.received")
                  .order_by(Event.id.desc()).get().created_at)
    # the clocks are recomputed just after the commit; a worker that caught up less
    # than sla_catch_up.BATCH_WINDOW_S ago does it when that window ends
    def clocks_running() -> TicketSla | None:
        row = TicketSla.get_or_none(TicketSla.ticket == ticket.id)
        return row if row and row.clocks["resolution"]["state"] == "running" else None

    row = wait_for(clocks_running, timeout=5)
    resolution = row.clocks["resolution"]
    assert resolution["state"] == "running"
    assert [[_at(s), _at(e)] for s, e in resolution["paused"]] == [[sec(asked), resumed]]
    assert _at(resolution["due"]) == created + timedelta(hours=4) + (resumed - sec(asked))
    assert row.clocks["next_response"]["state"] == "running"
    assert row.next_at == replied + timedelta(hours=1)  # next_response at 50%

    # two scans with the clock passed in, each run twice
    first = replied + timedelta(minutes=75)
    for _ in range(2):
        scan(first, runtime)
    assert sla_keys("sla.warning") == ["next_response#1:50%"]
    assert sla_keys("sla.breached") == []
    later = created + timedelta(hours=6)
    for _ in range(2):
        scan(later, runtime)
    assert sla_keys("sla.warning") == [
        "next_response#1:30m before", "next_response#1:50%",
        "resolution#1:30m before", "resolution#1:50%"]
    assert sla_keys("sla.breached") == ["next_response#1:breach", "resolution#1:breach"]
    [breach] = [e for e in Event.select().where(Event.kind == "sla.breached")
                if e.data["clock"] == "resolution"]
    assert _at(breach.data["at"]) == _at(resolution["due"])
    assert Ticket.get_by_id(ticket.id).tags == ["sla-breached"]
    row = TicketSla.get(TicketSla.ticket == ticket.id)
    assert row.next_at is None and row.checked_until == later and len(row.fired) == 6

    # what an admin sees
    context = Context(None)
    context._settings = settings
    shown = CliRunner().invoke(sla_group, ["show", str(ticket.id), "--json"], obj=context)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["fired"] == sorted(row.fired)
    bad = tmp_path / "sim.yaml"
    bad.write_text("policy: standard\nnow: \"2026-03-30T12:00:00+02:00\"\nevents:\n"
                   "  - {at: \"2026-03-27T15:00:00+01:00\", type: created}\n"
                   "  - {at: \"2026-03-27T15:30:00+01:00\", type: agent_replied}\n")
    simulated = CliRunner().invoke(sla_group, ["simulate", str(bad)], obj=context)
    assert simulated.exit_code == 1
    assert f"{bad}:5: unknown event type 'agent_replied'" in simulated.output


def sec(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


TEAMS = """teams:
  - name: support
    agents:
      - {email: agent.en@example.com, name: "Support EN"}
"""


def test_an_agent_who_moves_the_ticket_on_by_hand_restarts_the_clock(
        make_settings, sqlite_url, start_daemon) -> None:
    """#status waiting_for_customer, then #status in_progress without a word from the
    customer: the clock paused by the shipped rule 2 runs again (rule 2b)."""
    settings = make_settings(sqlite_url)
    rules = Path(settings.path(settings.paths.rules))
    (rules / "sla.yaml").write_text(SLA)
    (rules / "teams.yaml").write_text(TEAMS)
    daemon = start_daemon(settings)
    send_mail(daemon, customer_mail())
    [notification] = wait_for(lambda: [m for m in read_outgoing(daemon.outgoing)
                                       if m["To"].addresses[0].addr_spec
                                       == "agent.en@example.com"])

    def agent_says(body: str, number: int) -> None:
        send_mail(daemon, customer_mail(
            sender="agent.en@example.com", to=notification["Reply-To"].addresses[0].addr_spec,
            subject=f"Re: {notification['Subject']}", body=body,
            message_id=f"<agent-{number}@example.com>",
            headers={"In-Reply-To": notification["Message-ID"]}))
        wait_for(processed(number + 1))

    agent_says("#status waiting_for_customer\nWhich model is it?\n", 1)
    ticket = Ticket.get()
    assert ticket.status == "waiting_for_customer" and ticket.sla_paused is True
    asked = sec(Event.get(Event.kind == "sla.paused").created_at)

    agent_says("#status in_progress\nFound it in our records, working on it.\n", 2)
    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.status == "in_progress" and ticket.sla_paused is False
    resumed = Event.get(Event.kind == "sla.resumed")
    assert resumed.rule == "leaving-waiting-resumes-sla"
    # the clocks are recomputed just after the commit; a worker that caught up less
    # than sla_catch_up.BATCH_WINDOW_S ago does it when that window ends (the row was
    # "running" before the pause as well: wait for the recomputation that saw both)
    def clocks_running() -> TicketSla | None:
        row = TicketSla.get_or_none(TicketSla.ticket == ticket.id)
        if row is None:  # not computed yet: the first catch-up may still be waiting
            return None
        resolution = row.clocks["resolution"]
        return row if resolution["state"] == "running" and resolution["paused"] else None

    row = wait_for(clocks_running, timeout=5)
    resolution = row.clocks["resolution"]
    assert resolution["state"] == "running"
    assert [[_at(s), _at(e)] for s, e in resolution["paused"]] == [
        [asked, sec(resumed.created_at)]]
    assert row.next_at is not None  # the scan sees the ticket again
