"""`send_report` rules (issue 22): the KPI digest mailed to managers once a week, the
charts as table cells every mail client draws, the full report attached.

The history is `tests/kpi_history.py` (the desk's time zone is UTC): the week of
Monday 2026-03-02 has 3 tickets created (T1, T2, T3) and 3 resolved (T1, T2, T5),
T1 reopened once; ann resolved 1, bob 2. The week before, T5 was created.
"""

from __future__ import annotations

import email
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kpi_history import make_history
from postdesk.automation.loader import parse_rules
from postdesk.channels.email.sender import send_outbox
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.errors import RuleError
from postdesk.report.schedule import send_scheduled_reports
from postdesk.store.db import database

TEAMS = """teams:
  - name: leads
    agents:
      - {email: lead.pl@example.com, name: "Lead PL", language: pl}
"""
RULE = """\
rules:
  - name: weekly-kpis
    on: schedule
    then:
      - send_report:
          to: [boss@example.com, leads]
          every: week
          at: "08:00"
"""
NEXT_MONDAY = datetime(2026, 3, 9, tzinfo=UTC)


@pytest.fixture
def desk(migrated: str, make_settings: Callable[..., Settings]) -> Iterator[Runtime]:
    settings = make_settings(migrated)
    rules = Path(settings.path(settings.paths.rules))
    (rules / "teams.yaml").write_text(TEAMS)
    (rules / "automation.yaml").write_text(RULE)
    make_history(settings)
    with database.connection_context():
        yield Runtime(settings)


def at(hours: float, day: datetime = NEXT_MONDAY) -> datetime:
    return day + timedelta(hours=hours)


def sent_mails(runtime: Runtime, ids: list[int]) -> list[EmailMessage]:
    for outbox_id in ids:
        assert send_outbox(outbox_id, runtime) == "sent"
    outgoing = Path(runtime.settings.outgoing_transport.removeprefix("maildir:"))
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for p in sorted(outgoing.rglob("*"), key=lambda p: p.stat().st_mtime)
            if p.is_file()]


class _Cells(HTMLParser):
    """The bars of the mail's HTML: cells marked data-bar and their colour; images and
    SVG elements (which Gmail and Outlook would drop) counted."""

    def __init__(self) -> None:
        super().__init__()
        self.bars: list[str] = []
        self.pictures = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.pictures += tag in ("svg", "img")
        if tag == "td" and "data-bar" in found:
            self.bars.append(str(found.get("bgcolor")))


def test_it_goes_once_on_monday_morning_to_each_recipient(desk: Runtime) -> None:
    assert send_scheduled_reports(at(7.5), desk) == []
    ids = send_scheduled_reports(at(8.1), desk)
    assert len(ids) == 2  # boss@example.com and the team's agent
    assert send_scheduled_reports(at(8.2), desk) == []  # the next scan: already sent
    assert send_scheduled_reports(at(8.1 + 24), desk) == []  # Tuesday: a weekly report


def test_the_mail_has_table_charts_and_the_report_attached(desk: Runtime) -> None:
    [boss, lead] = sent_mails(desk, send_scheduled_reports(at(8.1), desk))
    assert boss["To"] == "boss@example.com"
    assert boss["Subject"] == "KPIs for the week of 2026-03-02: 3 created, 3 resolved"
    assert boss["Auto-Submitted"] == "auto-generated"
    text = boss.get_body(("plain",)).get_content()
    assert "Tickets from 2026-03-02 to 2026-03-08:" in text
    assert "Created: 3" in text and "Reopened: 1 (33.3%)" in text
    assert "CSAT: n/a" in text and "Self-service deflections: 0" in text
    assert "2026-03-02  3 / 3" in text and "bob@desk.example  2" in text
    html = boss.get_body(("html",)).get_content()
    cells = _Cells()
    cells.feed(html)
    assert cells.pictures == 0
    # eight weeks of created and resolved bars, then one bar per agent who resolved
    assert len(cells.bars) == 8 * 2 + 2
    # quiet weeks get a grey sliver: six weeks without tickets, and the week of
    # 2026-02-23 created T5 but resolved nothing
    assert cells.bars.count("#e5e7eb") == 6 * 2 + 1
    [attached] = list(boss.iter_attachments())
    assert attached.get_filename() == "kpi-team-2026-03-02.html"
    assert attached.get_content_type() == "text/html"
    page = attached.get_content()
    assert "<svg" in page and "KPIs by team" in page and "<script" not in page
    # the team's agent reads it in their language
    assert lead["To"] == "lead.pl@example.com"
    assert lead["Subject"] == "Wskaźniki za tydzień od 2026-03-02: utworzone 3, rozwiązane 3"


def test_a_polish_agent_reads_the_mail_and_the_report_in_polish(desk: Runtime) -> None:
    [boss, lead] = sent_mails(desk, send_scheduled_reports(at(8.1), desk))
    assert lead["To"] == "lead.pl@example.com"
    assert lead["Subject"] == "Wskaźniki za tydzień od 2026-03-02: utworzone 3, rozwiązane 3"
    text = lead.get_body(("plain",)).get_content()
    assert "Zgłoszenia od 2026-03-02 do 2026-03-08:" in text
    assert "Tygodniowo (utworzone / rozwiązane):" in text
    assert "Rozwiązane według agentów:" in text
    assert "Ponownie otwarte: 1 (33,3%)" in text  # Polish decimal comma
    assert "Tickets from" not in text and "33.3%" not in text
    html = lead.get_body(("html",)).get_content()
    assert "Ponownie otwarte" in html and "33,3%" in html
    cells = _Cells()
    cells.feed(html)
    assert len(cells.bars) == 8 * 2 + 2 and cells.pictures == 0  # the charts are still there
    [attached] = list(lead.iter_attachments())
    assert attached.get_filename() == "kpi-team-2026-03-02.html"
    page = attached.get_content()
    assert '<html lang="pl">' in page and "Wskaźniki według zespołów" in page
    assert "odsetek ponownych otwarć" in page and "33,3%" in page and "<svg" in page
    assert "KPIs by team" not in page and "33.3%" not in page
    # the boss, not an agent, reads the desk's default language (English here)
    [english] = list(boss.iter_attachments())
    assert '<html lang="en">' in english.get_content()
    assert "KPIs by team" in english.get_content()


def test_anyone_else_reads_the_desks_default_language(
        migrated: str, make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(migrated)
    settings = replace(settings, desk=replace(settings.desk, default_language="de"))
    rules = Path(settings.path(settings.paths.rules))
    (rules / "teams.yaml").write_text(TEAMS)
    (rules / "automation.yaml").write_text(RULE)
    make_history(settings)
    with database.connection_context():
        runtime = Runtime(settings)
        [boss, lead] = sent_mails(runtime, send_scheduled_reports(at(8.1), runtime))
    assert boss["To"] == "boss@example.com"
    text = boss.get_body(("plain",)).get_content()
    assert "Tickets vom 2026-03-02 bis 2026-03-08:" in text
    assert "Wieder geöffnet: 1 (33,3\xa0%)" in text  # German: comma, space before %
    [attached] = list(boss.iter_attachments())
    assert '<html lang="de">' in attached.get_content()
    assert "Kennzahlen nach Team" in attached.get_content()
    assert lead.get_body(("plain",)).get_content().count("33,3%") == 1  # still Polish


def test_a_csv_report_daily(desk: Runtime) -> None:
    rules = Path(desk.settings.path(desk.settings.paths.rules)) / "automation.yaml"
    rules.write_text(RULE.replace("every: week", "every: day\n          format: csv")
                     .replace("[boss@example.com, leads]", "boss@example.com"))
    desk.live_rules.request_reload()
    wednesday = datetime(2026, 3, 5, tzinfo=UTC)  # the report of Wednesday 4 March
    [mail] = sent_mails(desk, send_scheduled_reports(at(8.1, wednesday), desk))
    assert mail["Subject"] == "KPIs for 2026-03-04: 0 created, 1 resolved"
    [attached] = list(mail.iter_attachments())
    assert attached.get_content_type() == "text/csv"
    lines = attached.get_content().splitlines()
    assert lines[0].startswith("group,created,resolved,reopened")
    assert lines[-1].startswith("(all),0,1,0,")


@pytest.mark.parametrize(("text", "message"), [
    (RULE.replace("every: week", "every: month"),
     "rules/automation.yaml:7: 'month' is not a period (week or day)"),
    (RULE.replace('at: "08:00"', 'at: "08:00"\n          format: pdf'),
     "rules/automation.yaml:9: 'pdf' is not a report format"),
    (RULE.replace("on: schedule", "on: ticket.created"),
     "rules/automation.yaml:3: 'send_report' runs from the schedule"),
])
def test_report_rules_are_checked_when_loaded(text: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rules(text)
    assert str(caught.value).startswith(message), str(caught.value)


def test_the_leaders_minute_scan_sends_it(desk: Runtime) -> None:
    from postdesk.store.db import utcnow
    from postdesk.worker import schedule_scan

    rules = Path(desk.settings.path(desk.settings.paths.rules)) / "automation.yaml"
    rules.write_text(RULE.replace('"08:00"', f'"{utcnow():%H:%M}"')
                     .replace("every: week", "every: day"))
    desk.live_rules.request_reload()
    dispatched: list[int] = []
    schedule_scan.run_once(desk, dispatched.append)
    assert len(dispatched) == 2
    schedule_scan.run_once(desk, dispatched.append)
    assert len(dispatched) == 2  # once a day
