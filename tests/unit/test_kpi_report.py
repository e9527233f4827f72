"""`postdesk report kpi` (issue 22): a made-up history, figures computed by hand.

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
  weeks: 03-02: created 3 (T1, T2, T3), resolved 3; 03-09: created 1, resolved 0.
  agents: ann created 2, resolved 1, reopened 1; bob created 1, resolved 2.
  channel: smtp 1, imap:support 1, (none) 2.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from postdesk.cli.main import main
from postdesk.config.runtime import Runtime
from postdesk.report import kpi_formats, kpi_html
from postdesk.report.kpi_query import kpi_report
from postdesk.report.kpi_summary import KpiReport
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


@pytest.fixture
def desk(migrated: str, make_settings: Callable[..., Any]) -> Iterator[Any]:
    settings = make_settings(migrated)
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
    yield settings


def march(by: str = "team") -> KpiReport:
    return kpi_report(by, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC),
                      at(30, 8), CLOSED)


def test_figures_per_team_and_in_total(desk: Any) -> None:
    report = march()
    hardware, support = report.groups
    assert hardware.group == "hardware" and support.group == "support"
    c = hardware.counts
    assert (c.created, c.resolved, c.reopened) == (2, 3, 1)
    assert hardware.reopen_rate == pytest.approx(1 / 3)
    assert (hardware.acknowledgment.p50_s, hardware.acknowledgment.p90_s) == (1800, 18 * 3600)
    assert (hardware.times("first_response").p50_s, hardware.times("first_response").p90_s) \
        == (3600, 7200)
    assert (hardware.times("resolution").p50_s, hardware.times("resolution").p90_s) == (
        5 * 3600, 6 * 3600)
    assert (support.counts.created, support.counts.resolved, support.reopen_rate) == (2, 0, None)
    assert (support.acknowledgment.count, support.acknowledgment.p50_s) == (1, 45 * 3600 + 2700)
    assert support.times("first_response").p50_s == 2700
    total = report.total
    assert (total.counts.created, total.counts.resolved, total.counts.reopened) == (4, 3, 1)
    assert (total.acknowledgment.p50_s, total.acknowledgment.p90_s) == (
        18 * 3600, 45 * 3600 + 2700)
    assert [(w.monday, w.created, w.resolved) for w in report.weeks] == [
        ("2026-03-02", 3, 3), ("2026-03-09", 1, 0)]
    assert (report.csat, report.deflections) == (None, None)


def test_per_agent_and_per_channel(desk: Any) -> None:
    agents = {a.group: a.counts for a in march().agents}
    assert (agents["ann@desk.example"].created, agents["ann@desk.example"].resolved,
            agents["ann@desk.example"].reopened) == (2, 1, 1)
    assert (agents["bob@desk.example"].created, agents["bob@desk.example"].resolved) == (1, 2)
    channels = {g.group: g.counts.created for g in march("channel").groups}
    assert channels == {"smtp": 1, "imap:support": 1, "(none)": 2}


def test_json_and_csv_say_na_for_what_the_desk_does_not_record(desk: Any) -> None:
    data = json.loads(kpi_formats.to_json(march()))
    assert data["total"]["created"] == 4 and data["total"]["reopen_rate"] == 0.3333
    assert data["total"]["first_response"] == {"count": 3, "p50_s": 3600, "p90_s": 7200}
    assert (data["csat"], data["deflections"]) == (None, None)
    rows = list(csv.DictReader(io.StringIO(kpi_formats.to_csv(march()))))
    assert [r["group"] for r in rows] == ["hardware", "support", "(all)"]
    assert rows[0]["reopen_rate_pct"] == "33.3" and rows[0]["ack_p90_s"] == "64800"
    assert rows[-1]["csat_pct"] == "n/a" and rows[-1]["deflections"] == "n/a"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.svg: list[str] = []
        self.depth = 0
        self.external: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.external.append(value)


def test_the_page_has_labelled_charts_and_nothing_external(desk: Any) -> None:
    page = kpi_html.to_html(march(), desk="Example Support", accent="#aa0000")
    parser = _Page()
    parser.feed(page)
    assert parser.scripts == 0 and parser.external == []
    assert "#aa0000" in page and "Example Support" in page
    charts = [ET.fromstring(svg + "</svg>") for svg in
              (part.split("</svg>")[0] for part in page.split("<svg ")[1:])
              for svg in ["<svg " + svg]]
    # created and resolved per week, the two distributions, the per-agent bars
    assert len(charts) == 5
    titles = ["".join(t.itertext()) for chart in charts
              for t in chart.iter("{http://www.w3.org/2000/svg}title")]
    assert "03-02: 3 tickets" in titles and "03-09: 1 tickets" in titles
    assert "bob@desk.example: 2 resolved" in titles
    assert "ann@desk.example: 1 resolved, then reopened" in titles
    assert "@media print" in page


def test_the_command_prints_and_writes_each_format(
        desk: Any, migrated: str, tmp_path: Path) -> None:
    runner = CliRunner(env={"POSTDESK_DATABASE_URL": migrated})
    config = ["--config", str(tmp_path / "desk" / "postdesk.toml")]
    result = runner.invoke(main, [*config, "report", "kpi", "--since", "2026-03-01",
                                  "--until", "2026-03-31"])
    assert result.exit_code == 0, result.output
    assert "hardware" in result.output and "18h 00m" in result.output
    assert "CSAT n/a" in " ".join(result.output.split())
    out = tmp_path / "kpi.html"
    result = runner.invoke(main, [*config, "report", "kpi", "--by", "agent", "--format",
                                  "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "<svg" in out.read_text() and "KPIs by agent" in out.read_text()
    assert "KPI report by agent (5 tickets created)" in result.output
    result = runner.invoke(main, [*config, "report", "kpi", "--by", "priority"])
    assert result.exit_code == 2 and "--by" in result.output
