"""A made-up history for the KPI report (issue 22), figures computed by hand.

Office hours Mon-Fri 09:00-17:00 UTC, waiting_for_customer pauses the clocks.
2026-03-02 is a Monday. Five tickets, on SQLite and PostgreSQL:

  T1 hardware, ann, by SMTP: created Mon 02 16:00; ann replies Tue 10:00 (first
     touch: 18 h wall clock; first response 16-17 + 09-10 = 2 h business); waiting
     for the customer Tue 11:00 - Wed 10:00 (paused); resolved Wed 12:00; the
     customer reopens Thu 09:30, ann resolves again Thu 10:30. Resolution: 16-17,
     09-11, 10-12, 09:30-10:30 = 6 h business.
  T2 hardware, bob: created Mon 02 10:00; bob takes it (in_progress) 10:30 (touch
     30 m); replies 11:00 (first response 1 h); resolved 15:00 (5 h).
  T3 support, ann, by IMAP: created Sat 07 12:00; ann replies Mon 09 09:45 (touch
     45 h 45 m; first response 45 m business).
  T4 support, nobody: created Tue 10 09:00; only a rule touches it (no
     acknowledgment).
  T5 hardware, bob: created Fri 27 February, resolved by bob Tue 03 March: resolved
     in March, not created in it.

By hand for March:
  hardware: created 2, resolved 3 (T1 once, T2, T5), reopened 1 (33 %);
    acknowledged 30 m, 18 h -> p50 30m, p90 18h; first response 1 h, 2 h -> p50 1h,
    p90 2h; resolution 5 h, 6 h -> p50 5h, p90 6h.
  support: created 2, resolved 0; acknowledged 45h45m (one ticket).
  all: created 4, resolved 3, reopened 1; acknowledged 30m, 18h, 45h45m -> p50 18h,
    p90 45h45m.
  weeks: 03-02: created 3 (T1, T2, T3), resolved 3; 03-09: created 1, resolved 0;
    the other weeks of March: 0.
  agents: ann created 2, resolved 1, reopened 1; bob created 1, resolved 2.
  channel: smtp 1, imap:support 1, (none) 2.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.sla.tracking import track as sla_track
from postdesk.store.db import database
from postdesk.store.models import Inbound, Ticket
from postdesk.tickets import service

MON = datetime(2026, 3, 2, tzinfo=UTC)
ANN, BOB, AMY = "ann@desk.example", "bob@desk.example", "amy@customer.example"
CLOSED = ("resolved", "closed")
SLA = """calendars:
  office:
    timezone: UTC
    hours:
      mon-fri: ["09:00-17:00"]
policies:
  - name: standard
    calendar: office
    pause_on: [waiting_for_customer]
    targets: {first_response: 4h, resolution: 16h}
"""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MON + timedelta(days=day, hours=hour, minutes=minute)


def reply(ticket: Ticket, author: str, when: datetime) -> None:
    service.add_message(ticket, direction="out", visibility="public", author_email=author,
                        author_name="Agent", subject="Re", text="On it", body="On it",
                        html=None, message_id=None, inbound=None, attachments=(), now=when)


def came_by(ticket: Ticket, source: str, when: datetime) -> None:
    Inbound.insert(received_at=when, source=source, rcpt_to=["help@desk.example"],
                   raw=b"Subject: x\r\n\r\nx", size=16, sha256="0" * 64, state="done",
                   ticket=ticket.id).execute()


def make_history(settings: Settings) -> None:
    """The tickets above, with their clocks, in the connected database."""
    (Path(settings.path(settings.paths.rules)) / "sla.yaml").write_text(SLA)
    runtime = Runtime(settings)
    with database.connection_context(), database.atomic():
        amy = service.find_or_create_customer(AMY, "Amy", language="en", timezone=None,
                                              now=at(-5, 9))
        t1 = service.open_ticket(amy, "VPN", now=at(0, 16), team="hardware")
        came_by(t1, "smtp", at(0, 16))
        reply(t1, ANN, at(1, 10))
        service.set_status(t1, "waiting_for_customer", actor=ANN, now=at(1, 11))
        service.set_status(t1, "in_progress", actor=AMY, now=at(2, 10))
        service.set_status(t1, "resolved", actor=ANN, now=at(2, 12))
        service.set_status(t1, "in_progress", actor=AMY, now=at(3, 9, 30))
        service.set_status(t1, "resolved", actor=ANN, now=at(3, 10, 30))
        t2 = service.open_ticket(amy, "Printer", now=at(0, 10), team="hardware")
        service.set_status(t2, "in_progress", actor=BOB, now=at(0, 10, 30))
        reply(t2, BOB, at(0, 11))
        service.set_status(t2, "resolved", actor=BOB, now=at(0, 15))
        t3 = service.open_ticket(amy, "Invoice", now=at(5, 12), team="support")
        came_by(t3, "imap:support", at(5, 12))
        reply(t3, ANN, at(7, 9, 45))
        t4 = service.open_ticket(amy, "Hello", now=at(8, 9), team="support")
        service.set_status(t4, "triage", actor="rules@desk.example", rule="triage",
                           now=at(8, 9, 1))
        t5 = service.open_ticket(amy, "Old", now=at(-3, 12), team="hardware")
        service.set_status(t5, "resolved", actor=BOB, now=at(1, 9, 30))
        for ticket, assignee in ((t1, ANN), (t2, BOB), (t3, ANN), (t5, BOB)):
            Ticket.update(assignee=assignee).where(Ticket.id == ticket.id).execute()
        for ticket in (t1, t2, t3, t4, t5):
            sla_track.refresh(Ticket.get_by_id(ticket.id), runtime, at(10, 9))
