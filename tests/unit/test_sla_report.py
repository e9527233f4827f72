"""`postdesk report sla` (issue 8): figures from stored clocks, each format, hand-computed.

Eight tickets in March and one in February, with clocks as the worker
stores them (`ticket_sla.clocks`), on SQLite and PostgreSQL:

    ticket team      first_response          next_response  resolution               ola
    1      hardware  met 600                 -              met 7200                 met
    2      hardware  met 1200                -              met 10800                breached
    3      hardware  met 1800                -              running 900              -
    4      hardware  breached, answered 3600 -              breached, met 70000      -
    5      hardware  breached, no answer 7200 -             paused 30000             -
    6      support   met 300                 breached       running 4000             -
    7      support   running 100             -              running 100              -
    8      (none)    paused 50               -              running 50               -
    9      hardware  met 60 (February: outside --since 2026-03-01)

By hand, nearest rank (rank = ceil(n * p / 100)):
  hardware first response: met 3, breached 2 (60 %); answered 600, 1200, 1800, 3600:
    p50 = rank 2 = 1200 s, p90 = rank 4 = 3600 s
  hardware resolution: met 2, breached 1, open 2 (67 %); 7200, 10800, 70000:
    p50 = rank 2 = 10800 s, p90 = rank 3 = 70000 s
  all first responses answered: 300, 600, 1200, 1800, 3600 -> p50 = rank 3 = 1200 s,
    p90 = rank 5 = 3600 s; met 4, breached 2, open 2 (67 %)
  distribution of the first response (<15m, 15-30m, 30m-1h, 1-2h, ...): 2, 1, 1, 1, 0...
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from postdesk.cli.context import Context
from postdesk.cli.report import report_group
from postdesk.report import sla_formats, sla_html
from postdesk.report.sla_query import sla_report
from postdesk.report.sla_summary import SlaReport, nearest_rank
from postdesk.store.db import database
from postdesk.store.models import Ticket
from postdesk.store.sla_store import TicketSla
from postdesk.tickets import service

MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATE = "2026-03-05T10:00:00+00:00"


def clock(state: str, elapsed: int, met_at: str | None = None) -> dict[str, Any]:
    done = met_at or (LATE if state == "met" else None)
    return {"state": state, "elapsed_s": elapsed, "remaining_s": 0, "due": None, "paused": [],
            "cycle": 1, "target_s": 3600, "met_at": done}


TICKETS: list[tuple[str | None, str | None, dict[str, Any]]] = [
    ("hardware", "ann@desk.example", {"first_response": clock("met", 600),
                                      "resolution": clock("met", 7200),
                                      "ola:hardware": clock("met", 500)}),
    ("hardware", "ann@desk.example", {"first_response": clock("met", 1200),
                                      "resolution": clock("met", 10800),
                                      "ola:hardware": clock("breached", 40000, LATE)}),
    ("hardware", "bob@desk.example", {"first_response": clock("met", 1800),
                                      "resolution": clock("running", 900)}),
    ("hardware", "bob@desk.example", {"first_response": clock("breached", 3600, LATE),
                                      "resolution": clock("breached", 70000, LATE)}),
    ("hardware", None, {"first_response": clock("breached", 7200),
                        "resolution": clock("paused", 30000)}),
    ("support", "cy@desk.example", {"first_response": clock("met", 300),
                                    "next_response": clock("breached", 9000),
                                    "resolution": clock("running", 4000)}),
    ("support", None, {"first_response": clock("running", 100),
                       "resolution": clock("running", 100)}),
    (None, None, {"first_response": clock("paused", 50), "resolution": clock("running", 50)}),
]


@pytest.fixture
def desk(migrated: str, make_settings: Callable[..., Any]) -> Iterator[Any]:
    settings = make_settings(migrated)
    with database.connection_context(), database.atomic():
        customer = service.find_or_create_customer("zoe@customer.example", "Zoë",
                                                   language="en", timezone=None,
                                                   now=MARCH)
        rows = [*TICKETS, ("hardware", None, {"first_response": clock("met", 60)})]
        for number, (team, assignee, clocks) in enumerate(rows):
            when = MARCH + timedelta(hours=number) if number < len(TICKETS) \
                    else datetime(2026, 2, 20, 12, 0, tzinfo=UTC)
            ticket = service.open_ticket(customer, f"Ticket {number + 1}", now=when,
                                         team=team)
            Ticket.update(assignee=assignee).where(Ticket.id == ticket.id).execute()
            TicketSla.insert(ticket=ticket.id, policy="standard", clocks=clocks, fired=[],
                             updated_at=when).execute()
    yield settings  # (no connection held: `postdesk report` opens its own)


def march_report(by: str = "team") -> SlaReport:
    return sla_report(by, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC),
                      datetime(2026, 4, 1, 8, 0, tzinfo=UTC))


def test_nearest_rank_is_the_ceiling_of_the_share() -> None:
    assert [nearest_rank(n, 50) for n in (1, 2, 3, 4, 5)] == [1, 1, 2, 2, 3]
    assert [nearest_rank(n, 90) for n in (1, 3, 4, 5, 10, 11)] == [1, 3, 4, 5, 9, 10]


def test_figures_per_team_and_in_total(desk: Any) -> None:
    report = march_report()
    assert report.clock_names == ("first_response", "next_response", "resolution",
                                  "ola:hardware")
    assert [(g.group, g.tickets) for g in report.groups] == [
        ("hardware", 5), ("support", 2), ("(none)", 1)]
    hardware = report.groups[0]
    fr, res = hardware.clocks["first_response"], hardware.clocks["resolution"]
    assert (fr.met, fr.breached, fr.open, fr.met_rate) == (3, 2, 0, 0.6)
    assert (res.met, res.breached, res.open) == (2, 1, 2)
    assert (hardware.times["first_response"].p50_s, hardware.times["first_response"].p90_s,
            hardware.times["first_response"].count) == (1200, 3600, 4)
    assert (hardware.times["resolution"].p50_s, hardware.times["resolution"].p90_s) == (
        10800, 70000)
    assert (hardware.clocks["ola:hardware"].met, hardware.clocks["ola:hardware"].breached) == (
        1, 1)
    support = report.groups[1]
    assert support.clocks["next_response"].breached == 1
    assert (support.times["first_response"].p50_s, support.times["first_response"].p90_s) == (
        300, 300)
    nobody = report.groups[2]
    assert nobody.clocks["first_response"].open == 1 and nobody.times["resolution"].count == 0
    total = report.total
    assert total.tickets == 8
    assert (total.clocks["first_response"].met, total.clocks["first_response"].breached,
            total.clocks["first_response"].open) == (4, 2, 2)
    assert (total.times["first_response"].p50_s, total.times["first_response"].p90_s) == (
        1200, 3600)
    assert (total.times["resolution"].p50_s, total.times["resolution"].p90_s) == (10800, 70000)
    assert [b.count for b in report.distributions["first_response"]] == [2, 1, 1, 1, 0, 0, 0, 0]
    assert [b.count for b in report.distributions["resolution"]] == [0, 0, 0, 0, 2, 0, 0, 1]


def test_by_agent_and_the_period(desk: Any) -> None:
    report = march_report("agent")
    assert [(g.group, g.tickets) for g in report.groups] == [
        ("(none)", 3), ("ann@desk.example", 2), ("bob@desk.example", 2),
        ("cy@desk.example", 1)]
    bob = report.groups[2]
    assert (bob.times["first_response"].p50_s, bob.times["first_response"].p90_s) == (
        1800, 3600)
    everything = sla_report("team", None, None, MARCH)
    assert everything.total.tickets == 9  # February's ticket too
    assert everything.groups[0].clocks["first_response"].met == 4
    # 60, 600, 1200, 1800, 3600: p50 = rank 3, p90 = rank 5
    assert (everything.groups[0].times["first_response"].count,
            everything.groups[0].times["first_response"].p50_s) == (5, 1200)
    empty = sla_report("priority", datetime(2027, 1, 1, tzinfo=UTC), None, MARCH)
    assert empty.groups == () and empty.total.tickets == 0


def test_json_and_csv(desk: Any) -> None:
    report = march_report()
    data = json.loads(sla_formats.to_json(report))
    assert data["by"] == "team" and data["since"] == "2026-03-01T00:00:00+00:00"
    assert data["groups"][0]["clocks"]["first_response"] == {
        "met": 3, "breached": 2, "open": 0, "met_rate": 0.6}
    assert data["groups"][0]["times"]["resolution"] == {
        "count": 3, "p50_s": 10800, "p90_s": 70000}
    assert data["total"]["group"] == "(all)" and data["total"]["tickets"] == 8
    assert data["distributions"]["first_response"][0] == {"from_s": 0, "to_s": 900, "count": 2}
    assert data["distributions"]["first_response"][-1]["to_s"] is None
    rows = list(csv.DictReader(io.StringIO(sla_formats.to_csv(report))))
    assert len(rows) == 4 * 4  # three groups and the totals, four clocks each
    first = rows[0]
    assert first == {"group": "hardware", "clock": "first_response", "tickets": "5",
                     "met": "3", "breached": "2", "open": "0", "met_rate_pct": "60.0",
                     "p50_s": "1200", "p90_s": "3600"}
    ola = next(r for r in rows if r["group"] == "hardware" and r["clock"] == "ola:hardware")
    assert (ola["met_rate_pct"], ola["p50_s"]) == ("50.0", "")
    total_res = next(r for r in rows if r["group"] == "(all)" and r["clock"] == "resolution")
    assert (total_res["met"], total_res["breached"], total_res["open"],
            total_res["met_rate_pct"]) == ("2", "1", "5", "66.7")


def test_table_and_html(desk: Any) -> None:
    report = march_report()
    table = sla_formats.to_table(report)
    assert "SLA by team" in table
    hardware = next(line for line in table.splitlines() if "hardware" in line
                    and "Hardware" not in line and "3 /" in line)
    assert "3 / 2 / 0 (60%)" in hardware and "20m / 1h 00m" in hardware
    assert "2 / 1 / 2 (67%)" in hardware and "3h 00m / 19h 26m" in hardware
    page = sla_html.to_html(report, desk="Example Support")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert page.count("<svg") == 4 + 2  # a bar chart per clock, two distributions
    assert "60% met" in page and "67%" in page  # the bars' notes and the cards
    assert re.search(r"<title>hardware: 2 breached</title>", page)
    assert "<title>&lt;15m: 2 tickets</title>" in page
    assert "Time to first response" in page and "p50 20m, p90 1h 00m" in page


def test_the_command_reads_days_in_the_desk_zone_and_writes_files(
        desk: Any, tmp_path: Path) -> None:
    context = Context(None)
    context._settings = desk
    runner = CliRunner()
    result = runner.invoke(report_group, ["sla", "--since", "2026-03-01", "--until",
                                          "2026-03-31", "--format", "json"], obj=context)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"]["tickets"] == 8
    out = tmp_path / "sla.html"
    result = runner.invoke(report_group, ["sla", "--by", "priority", "--format", "html",
                                          "--out", str(out)], obj=context)
    assert result.exit_code == 0, result.output
    assert "9 tickets" in out.read_text()
    bad = runner.invoke(report_group, ["sla", "--since", "March"], obj=context)
    assert bad.exit_code == 2 and "--since" in bad.output and "'March' is not a date" in (
        bad.output)
    backwards = runner.invoke(report_group, ["sla", "--since", "2026-03-05", "--until",
                                             "2026-03-01"], obj=context)
    assert backwards.exit_code == 2 and "--until" in backwards.output


def test_clocks_the_worker_stores_are_what_the_report_reads(desk: Any) -> None:
    """A real history (opened, answered by an agent 25 minutes later, resolved after 9
    hours) through the worker's refresh, then the report."""
    from postdesk.config.runtime import Runtime
    from postdesk.sla.tracking import track as sla_track

    rules = Path(desk.path(desk.paths.rules))
    (rules / "sla.yaml").write_text(
        "calendars:\n  always: {timezone: UTC, hours: \"24/7\"}\npolicies:\n"
        "  - name: standard\n    calendar: always\n"
        "    targets: {first_response: 1h, resolution: 8h}\n")
    runtime = Runtime(desk)
    opened = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    with database.connection_context(), database.atomic():
        customer = service.find_or_create_customer("amy@customer.example", "Amy",
                                                   language="en", timezone=None, now=opened)
        ticket = service.open_ticket(customer, "VPN down", now=opened, team="network")
        service.add_message(ticket, direction="out", visibility="public",
                            author_email="agent@desk.example", author_name="Agent",
                            subject="Re", text="On it", body="On it", html=None,
                            message_id=None, inbound=None, attachments=(),
                            now=opened + timedelta(minutes=25))
        service.set_status(ticket, "resolved", actor="agent@desk.example",
                           now=opened + timedelta(hours=9))
        sla_track.refresh(ticket, runtime, opened + timedelta(hours=10))
    row = TicketSla.get(TicketSla.ticket == ticket.id)
    assert row.clocks["resolution"]["met_at"] == (opened + timedelta(hours=9)).isoformat()
    network = next(g for g in march_report().groups if g.group == "network")
    assert network.tickets == 1
    assert (network.clocks["first_response"].met, network.times["first_response"].p50_s) == (
        1, 25 * 60)
    # resolved after 9 h against 8 h: breached, and its time still counts
    assert (network.clocks["resolution"].breached, network.times["resolution"].p50_s) == (
        1, 9 * 3600)


def test_tied_times_count_once_per_ticket(desk: Any) -> None:
    """Four answers in May, two of 10 and two of 20 minutes: p50 = rank 2 = 10m (the
    last of the tie), p90 = rank 4 = 20m; the rank falls inside a run of equal values."""
    may = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    with database.connection_context(), database.atomic():
        customer = service.find_or_create_customer("zoe@customer.example", "Zoë",
                                                   language="en", timezone=None, now=may)
        for number, elapsed in enumerate((1200, 600, 1200, 600)):
            ticket = service.open_ticket(customer, "Tie", now=may + timedelta(hours=number),
                                         team="ties")
            TicketSla.insert(ticket=ticket.id, policy="standard", fired=[], updated_at=may,
                             clocks={"first_response": clock("met", elapsed)}).execute()
    report = sla_report("team", may, may + timedelta(days=1), may)
    [ties] = report.groups
    assert (ties.times["first_response"].count, ties.times["first_response"].p50_s,
            ties.times["first_response"].p90_s) == (4, 600, 1200)
    assert (report.total.times["first_response"].p50_s,
            report.total.times["first_response"].p90_s) == (600, 1200)
    assert [b.count for b in report.distributions["first_response"]][:2] == [2, 2]


def test_the_cards_say_on_how_many_tickets_a_rate_is_based(desk: Any) -> None:
    """8 tickets; first responses met or missed on 6 of them, 2 still open (issue 24)."""
    page = sla_html.to_html(march_report(), desk="Example Support")
    assert "6 of 8 tickets had a target met or missed; 2 still open" in page
    assert "5 of 8 tickets answered" in page


def test_tickets_the_customer_solved_with_an_article_count_as_self_served(desk: Any) -> None:
    assert sla_formats.to_table(march_report()).count("Self-served") == 0  # none: no column
    with database.connection_context(), database.atomic():
        service.record_event(2, "kb.self_served", {"how": "reply", "articles": ["x"]},
                             actor="zoe@customer.example", now=MARCH)
        service.record_event(6, "kb.suggested", {"article": "x"}, actor="system", now=MARCH)
    report = march_report()
    assert [(g.group, g.self_served) for g in report.groups] == [
        ("hardware", 1), ("support", 0), ("(none)", 0)]
    assert report.total.self_served == 1
    assert json.loads(sla_formats.to_json(report))["total"]["self_served"] == 1
    assert "Self-served" in sla_formats.to_table(report)
