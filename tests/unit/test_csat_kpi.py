"""CSAT % and the survey response rate of `postdesk report kpi`, on SQLite and PostgreSQL:
the KPI history of `tests/kpi_history.py` plus satisfaction surveys, counted by hand.

Surveys asked in March (`at(day, hour)`: day 0 is Monday 2 March):
  T1, resolution 1, mail sent, rated 5 of 5                 surveyed, rated, satisfied
  T1, resolution 2, mail sent, rated 4 then changed to 2    surveyed, rated
  T2, mail sent, never rated                                surveyed
  T5, mail still held (pending), not rated                  -
  T3, cancelled (the ticket reopened before it went)        -
  T4, asked in chat (no mail), rated 🙂 (3 of 3)             surveyed, rated, satisfied
and one in February, rated 5 (outside the period).
So: surveyed 4, rated 3, satisfied 2 -> CSAT 2/3 = 66.7 %, response rate 3/4 = 75 %.

Per group of the survey's ticket (T1 hardware/ann/smtp, T2 hardware/bob, T4 support/
nobody; T3 and T5 count nowhere, as above):
  team      hardware: surveyed 3, rated 2, satisfied 1 -> 50 %, 2/3 = 66.7 %
            support:  surveyed 1, rated 1, satisfied 1 -> 100 %, 100 %
  agent     ann: 2, 2, 1 -> 50 %, 100 %; bob: 1, 0, 0 -> n/a, 0 %; (none): 1, 1, 1
  channel   smtp: 2, 2, 1 -> 50 %, 100 %; (none) (T2, T4): 2, 1, 1 -> 100 %, 50 %
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from kpi_history import CLOSED, at, make_history
from postdesk.report import kpi_formats, kpi_html
from postdesk.report.kpi_query import kpi_report
from postdesk.report.numbers import Numbers
from postdesk.store import csat_store
from postdesk.store.db import database
from postdesk.store.models import Outbox, Ticket


def survey_mail(number: int, when: datetime, state: str) -> int:
    return int(Outbox.create(kind="satisfaction_survey", recipient="amy@customer.example",
                             message_id=f"<survey-{number}@desk.example>", state=state,
                             next_attempt_at=when, created_at=when,
                             sent_at=when if state == "sent" else None).id)


@pytest.fixture
def desk(migrated: str, make_settings: Callable[..., Any]) -> Iterator[Any]:
    settings = make_settings(migrated)
    make_history(settings)
    with database.connection_context(), database.atomic():
        t1, t2, t3, t4, t5 = (Ticket.get(Ticket.subject == s)
                              for s in ("VPN", "Printer", "Invoice", "Hello", "Old"))
        amy = t1.requester_id

        def ask(ticket: Ticket, resolution: int, when: datetime, mail: str | None,
                scale: str = "1-5") -> csat_store.CsatSurvey:
            outbox = survey_mail(ticket.id * 10 + resolution, when, mail) if mail else None
            survey = csat_store.ask(ticket.id, amy, resolution, scale, outbox_id=outbox,
                                    now=when)
            if mail == "sent":  # as the sender marks it
                csat_store.mark_sent([outbox], when)
            return survey

        csat_store.rate(ask(t1, 1, at(2, 12), "sent"), 5, "", "web", at(2, 13))
        second = ask(t1, 2, at(3, 10, 30), "sent")
        csat_store.rate(second, 4, "", "web", at(3, 11))
        csat_store.rate(second, 2, "worse", "email", at(3, 12))
        ask(t2, 1, at(0, 15), "sent")
        ask(t5, 1, at(1, 9, 30), "pending")
        csat_store.cancel(ask(t3, 1, at(5, 12), "dropped").id)
        csat_store.rate(ask(t4, 1, at(8, 10), None, scale="faces"), 3, "", "slack", at(8, 11))
        csat_store.rate(ask(t5, 2, at(-3, 13), "sent"), 5, "", "web", at(-3, 14))
    yield settings


def march() -> Any:
    return kpi_report("team", datetime(2026, 3, 1, tzinfo=UTC),
                      datetime(2026, 4, 1, tzinfo=UTC), at(30, 8), CLOSED)


def test_csat_is_the_share_of_top_ratings_and_the_response_rate_rated_of_surveyed(desk):
    report = march()
    assert report.csat_rated == 3
    assert report.csat == pytest.approx(2 / 3)
    assert report.csat_response_rate == pytest.approx(3 / 4)


def test_every_format_shows_the_csat_figures(desk):
    report = march()
    data = json.loads(kpi_formats.to_json(report))
    assert (data["csat"], data["csat_response_rate"], data["csat_rated"]) == (0.6667, 0.75, 3)
    total = list(csv.DictReader(io.StringIO(kpi_formats.to_csv(report))))[-1]
    assert (total["csat_pct"], total["csat_response_rate_pct"]) == ("66.7", "75.0")
    assert "CSAT 66.7% of 3 ratings (response rate 75%)" in kpi_formats.to_table(report, 400)
    page = kpi_html.to_html(report)
    assert "66.7%" in page and "CSAT (top ratings of 3)" in page
    assert "75%" in page and "survey response rate" in page


def test_a_period_without_surveys_says_na(desk):
    report = kpi_report("team", datetime(2030, 1, 7, tzinfo=UTC),
                        datetime(2030, 1, 14, tzinfo=UTC), at(30, 8), CLOSED)
    assert (report.csat, report.csat_response_rate, report.csat_rated) == (None, None, 0)
    total = list(csv.DictReader(io.StringIO(kpi_formats.to_csv(report))))[-1]
    assert (total["csat_pct"], total["csat_response_rate_pct"]) == ("n/a", "n/a")


def surveys_of(lines: Any) -> dict[str, tuple[int, int, int]]:
    return {line.group: (line.satisfaction.surveyed, line.satisfaction.rated,
                         line.satisfaction.satisfied) for line in lines}


def grouped(by: str) -> Any:
    return kpi_report(by, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC),
                      at(30, 8), CLOSED)


def test_each_group_has_the_csat_of_its_tickets_surveys(desk):
    report = march()
    assert surveys_of(report.groups) == {"hardware": (3, 2, 1), "support": (1, 1, 1)}
    hardware = next(g for g in report.groups if g.group == "hardware")
    assert hardware.satisfaction.csat == pytest.approx(1 / 2)
    assert hardware.satisfaction.response_rate == pytest.approx(2 / 3)
    assert surveys_of([report.total]) == {"(all)": (4, 3, 2)}
    assert surveys_of(grouped("channel").groups) == {"smtp": (2, 2, 1), "(none)": (2, 1, 1),
                                                     "imap:support": (0, 0, 0)}
    assert surveys_of(grouped("request_type").groups) == {"(none)": (4, 3, 2)}


def test_an_agent_has_the_csat_of_the_tickets_assigned_to_them(desk):
    expected = {"ann@desk.example": (2, 2, 1), "bob@desk.example": (1, 0, 0),
                "(none)": (1, 1, 1)}
    assert surveys_of(grouped("agent").groups) == expected
    # the per-agent lines of a report by team say the same
    assert surveys_of(march().agents) == expected


def test_every_format_shows_the_csat_of_each_line(desk):
    report = march()
    data = json.loads(kpi_formats.to_json(report))
    hardware = next(g for g in data["groups"] if g["group"] == "hardware")
    assert (hardware["csat"], hardware["csat_response_rate"], hardware["csat_rated"]) == (
        0.5, 0.6667, 2)
    bob = next(a for a in data["agents"] if a["group"] == "bob@desk.example")
    assert (bob["csat"], bob["csat_response_rate"], bob["csat_rated"]) == (None, 0.0, 0)
    assert (data["total"]["csat"], data["total"]["csat_rated"]) == (0.6667, 3)
    rows = {r["group"]: r for r in csv.DictReader(io.StringIO(kpi_formats.to_csv(report)))}
    assert (rows["hardware"]["csat_pct"], rows["hardware"]["csat_response_rate_pct"],
            rows["hardware"]["csat_rated"]) == ("50.0", "66.7", "2")
    assert (rows["support"]["csat_pct"], rows["support"]["csat_response_rate_pct"]) == (
        "100.0", "100.0")
    table = kpi_formats.to_table(report, 400)
    hardware_row = next(line for line in table.splitlines() if "hardware" in line)
    assert hardware_row.rstrip(" │|").endswith("50% / 66.7%")
    page = kpi_html.to_html(report)
    assert "<td>50% / 66.7%</td>" in page and "<td>100% / 100%</td>" in page
    assert "1 resolved, CSAT 50% of 2" in page  # ann's bar


def test_a_rating_stays_with_the_agent_of_its_resolution_when_the_ticket_is_reassigned(desk):
    with database.connection_context(), database.atomic():
        # T1 (ann's two resolutions) and T2 (bob's) change hands after their surveys
        Ticket.update(assignee="bob@desk.example").where(Ticket.subject == "VPN").execute()
        Ticket.update(assignee="cid@desk.example").where(Ticket.subject == "Printer").execute()
    # cid has T2 now (a line for its ticket counts) but none of its ratings
    expected = {"ann@desk.example": (2, 2, 1), "bob@desk.example": (1, 0, 0),
                "cid@desk.example": (0, 0, 0), "(none)": (1, 1, 1)}
    assert surveys_of(grouped("agent").groups) == expected
    assert surveys_of(march().agents) == expected


def test_a_survey_asked_for_a_named_agent_counts_for_that_agent(desk):
    with database.connection_context(), database.atomic():
        t4 = Ticket.get(Ticket.subject == "Hello")
        survey = csat_store.ask(t4.id, t4.requester_id, 2, "1-5", outbox_id=None,
                                now=at(9, 10), agent="cid@desk.example")
        csat_store.rate(survey, 1, "", "web", at(9, 11))
    lines = surveys_of(grouped("agent").groups)
    assert lines["cid@desk.example"] == (1, 1, 0)
    assert lines["(none)"] == (1, 1, 1)  # T4's first resolution, unassigned


def test_a_survey_follows_its_ticket_to_another_team(desk):
    with database.connection_context(), database.atomic():
        Ticket.update(team="support").where(Ticket.subject == "Printer").execute()
    assert surveys_of(march().groups) == {"hardware": (2, 2, 1), "support": (2, 1, 1)}


@pytest.mark.parametrize(("language", "csat"), [("de", "66,7\xa0%"), ("pl", "66,7%")])
def test_the_page_and_table_write_rates_as_the_reader_s_language(desk, language, csat):
    report = march()
    numbers = Numbers.of(language)
    page = kpi_html.to_html(report, numbers=numbers)
    assert f"<td>50% / {csat}</td>" in page.replace("50\xa0%", "50%")
    assert "66.7%" not in page
    assert f"CSAT {csat} of 3 ratings" in kpi_formats.to_table(report, 400, numbers)
    # the machine formats stay locale-free
    total = list(csv.DictReader(io.StringIO(kpi_formats.to_csv(report))))[-1]
    assert total["csat_pct"] == "66.7"
    assert json.loads(kpi_formats.to_json(report))["csat"] == 0.6667
