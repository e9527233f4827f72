"""`postdesk report kpi` (issue 22) on a made-up history, on SQLite and PostgreSQL: the
tickets and the figures computed by hand are in `tests/kpi_history.py`."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpi_history import CLOSED, at, make_history
from postdesk.cli.main import main
from postdesk.report import kpi_formats, kpi_html
from postdesk.report.kpi_query import kpi_report
from postdesk.report.kpi_summary import KpiReport


@pytest.fixture
def desk(migrated: str, make_settings: Callable[..., Any]) -> Iterator[Any]:
    settings = make_settings(migrated)
    make_history(settings)
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
    # every week of the period, the quiet ones as zeros (weeks start on Monday)
    assert [(w.monday, w.created, w.resolved) for w in report.weeks] == [
        ("2026-02-23", 0, 0), ("2026-03-02", 3, 3), ("2026-03-09", 1, 0),
        ("2026-03-16", 0, 0), ("2026-03-23", 0, 0), ("2026-03-30", 0, 0)]
    # no ratings yet; no ticket of this history was solved by a suggested article
    assert (report.csat, report.deflections) == (None, 0)


def test_per_agent_and_per_channel(desk: Any) -> None:
    agents = {a.group: a.counts for a in march().agents}
    assert (agents["ann@desk.example"].created, agents["ann@desk.example"].resolved,
            agents["ann@desk.example"].reopened) == (2, 1, 1)
    assert (agents["bob@desk.example"].created, agents["bob@desk.example"].resolved) == (1, 2)
    channels = {g.group: g.counts.created for g in march("channel").groups}
    assert channels == {"smtp": 1, "imap:support": 1, "(none)": 2}


def test_json_and_csv_say_na_for_ratings_the_desk_does_not_record(desk: Any) -> None:
    data = json.loads(kpi_formats.to_json(march()))
    assert data["total"]["created"] == 4 and data["total"]["reopen_rate"] == 0.3333
    assert data["total"]["first_response"] == {"count": 3, "p50_s": 3600, "p90_s": 7200}
    assert (data["csat"], data["deflections"]) == (None, 0)
    rows = list(csv.DictReader(io.StringIO(kpi_formats.to_csv(march()))))
    assert [r["group"] for r in rows] == ["hardware", "support", "(all)"]
    assert rows[0]["reopen_rate_pct"] == "33.3" and rows[0]["ack_p90_s"] == "64800"
    assert rows[-1]["csat_pct"] == "n/a" and rows[-1]["deflections"] == "0"


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


def test_a_period_without_tickets(desk: Any) -> None:
    empty = kpi_report("team", datetime(2030, 1, 7, tzinfo=UTC),
                       datetime(2030, 1, 14, tzinfo=UTC), at(30, 8), CLOSED)
    assert (empty.groups, empty.total.counts.created, empty.total.reopen_rate) == ((), 0, None)
    assert [(w.monday, w.created) for w in empty.weeks] == [("2030-01-07", 0)]
    page = kpi_html.to_html(empty)
    assert "tickets created" in page and "<svg" in page  # the trend: a quiet week
    assert "(all)" in kpi_formats.to_table(empty)
    assert json.loads(kpi_formats.to_json(empty))["total"]["acknowledgment"]["p50_s"] is None


def test_a_ticket_solved_with_a_suggested_article_counts_as_a_deflection(desk: Any) -> None:
    from postdesk.store.db import database
    from postdesk.store.models import Ticket
    from postdesk.tickets import service

    with database.connection_context(), database.atomic():
        first = Ticket.select().order_by(Ticket.id).first()
        service.record_event(first, "kb.self_served", {"how": "reply", "articles": ["vpn"]},
                             actor="zoe@customer.example", now=at(3, 10))
    report = march()
    assert report.deflections == 1
    assert json.loads(kpi_formats.to_json(report))["deflections"] == 1


def test_the_command_writes_people_s_formats_in_the_desk_s_language(
        desk: Any, migrated: str, tmp_path: Path) -> None:
    toml = tmp_path / "desk" / "postdesk.toml"
    toml.write_text(toml.read_text().replace('default_language = "en"',
                                             'default_language = "de"'))
    runner = CliRunner(env={"POSTDESK_DATABASE_URL": migrated})
    period = ["--config", str(toml), "report", "kpi", "--since", "2026-03-01",
              "--until", "2026-03-31"]
    table = runner.invoke(main, period)
    assert table.exit_code == 0, table.output
    assert "1 (33,3\xa0%)" in table.output and "33.3%" not in table.output
    page = runner.invoke(main, [*period, "--format", "html"])
    assert '<html lang="de">' in page.output and "Kennzahlen nach Team" in page.output
    assert "33,3\xa0%" in page.output and "33.3%" not in page.output
    # the machine formats stay locale-free
    rows = list(csv.DictReader(io.StringIO(
        runner.invoke(main, [*period, "--format", "csv"]).output)))
    assert {r["group"]: r["reopen_rate_pct"] for r in rows}["hardware"] == "33.3"
    data = json.loads(runner.invoke(main, [*period, "--format", "json"]).output)
    assert isinstance(data["total"]["reopen_rate"], float)
