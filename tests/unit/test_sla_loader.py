"""Loading rules/sla.yaml: the shipped file loads; each mistake names its file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.automation import Vocabulary
from postdesk.errors import RuleError
from postdesk.sla import load_sla, parse_sla

SHIPPED = Path(__file__).resolve().parents[2] / "rules/sla.yaml"
BASE = SHIPPED.read_text(encoding="utf-8")


def error_for(old: str, new: str, vocabulary: Vocabulary | None = None) -> str:
    assert old in BASE, old
    with pytest.raises(RuleError) as error:
        parse_sla(BASE.replace(old, new, 1), "rules/sla.yaml", vocabulary)
    return str(error.value)


def test_the_shipped_file_loads() -> None:
    config = load_sla(SHIPPED)
    assert [p.name for p in config.policies] == ["urgent", "standard"]
    assert config.default.name == "standard"
    standard = config.policies[1]
    assert standard.targets == {"first_response": 14400, "next_response": 28800,
                                "resolution": 57600}
    assert standard.targets_for("high")["resolution"] == 28800
    assert [t.label for t in standard.warn] == ["75%", "90%", "30m before"]
    assert standard.calendar.week[4] == ((8 * 3600, 12 * 3600), (13 * 3600, 16 * 3600))
    assert standard.calendar.week[5] == ()
    assert config.olas["hardware"].target_s == 28800
    assert config.calendars["always"].always_open


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("calendar: office\n    pause_on", "calendar: offce\n    pause_on",
     "rules/sla.yaml:49: unknown calendar 'offce' (did you mean 'office'?); "
     "defined: always, office"),
    ('mon-thu: ["08:00-16:00"]', 'mon-thu: ["8:00-16:00x"]',
     "rules/sla.yaml:32: '8:00-16:00x' is not business hours; write an interval like "
     '"08:00-16:00"'),
    ('fri: ["08:00-12:00", "13:00-16:00"]', 'fri: ["08:00-12:00", "11:00-16:00"]',
     "rules/sla.yaml:33: '11:00-16:00' overlaps '08:00-12:00' on fri; give each time once"),
    ('mon-thu: ["08:00-16:00"]', 'mon-thu: ["16:00-08:00"]',
     "rules/sla.yaml:32: '16:00-08:00' ends before it starts; an interval cannot cross "
     "midnight, split it into two days"),
    ("pause_on: [waiting_for_customer, waiting_for_vendor]",
     "pause_on: [waiting_for_customer, waiting_for_vendr]",
     "rules/sla.yaml:50: unknown status 'waiting_for_vendr' (did you mean "
     "'waiting_for_vendor'?); known: closed, in_progress, new, resolved, triage, "
     "waiting_for_customer, waiting_for_vendor"),
    ("next_response: 8h", "next_response: 8 hours",
     "rules/sla.yaml:51: '8 hours' is not a duration; write it like 30m, 4h or 1h30m"),
    ("next_response: 8h", "next_response: 1d",
     "rules/sla.yaml:51: '1d' is not a duration; write it like 30m, 4h or 1h30m "
     "(write business days as hours, e.g. 16h)"),
    ('warn: ["75%", "90%", "30m before"]', 'warn: ["75%", "90%", "30m after"]',
     "rules/sla.yaml:54: '30m after' is not a warning threshold; write it like 75% or "
     "30m before"),
    ("timezone: Europe/Warsaw", "timezone: Europe/Warsw",
     "rules/sla.yaml:30: unknown time zone 'Europe/Warsw' (did you mean 'Europe/Warsaw'?); "
     "use an IANA name like Europe/Warsaw or America/New_York"),
    ("country: PL ", "country: XX ",
     "rules/sla.yaml:35: unknown holiday country 'XX'; use an ISO code like PL, US or DE"),
    ("mon-thu:", "mon-thr:",
     "rules/sla.yaml:32: unknown day 'mon-thr' (did you mean 'mon'?); use mon, tue, wed, "
     "thu, fri, sat, sun or a range like mon-fri"),
    ('fri: ["08:00-12:00", "13:00-16:00"]', 'thu: ["08:00-12:00"]',
     "rules/sla.yaml:33: thu already has hours from 'mon-thu'"),
    ("if: {priority: [urgent]}", "if: {priorty: [urgent]}",
     "rules/sla.yaml:43: unknown condition 'priorty' (did you mean 'priority'?)"),
    ("if: {priority: [urgent]}", "if: {subject_contains: urgent}",
     "rules/sla.yaml:43: 'subject_contains' cannot select an SLA policy (it is about a "
     "message or the time); use assignee, customer_language, has_link, priority, "
     "request_type, sender, sender_domain, sla_paused, status, tags, team"),
    ("  - name: standard\n", "  - name: standard\n    if: {priority: normal}\n",
     "rules/sla.yaml:41: no policy catches every ticket: leave `if:` out of the last "
     "policy, or name one with `default: NAME`"),
    ("  - name: urgent\n    if: {priority: [urgent]}\n", "  - name: urgent\n",
     "rules/sla.yaml:47: policy 'standard' is never used: policy 'urgent' before it has "
     "no `if:` and takes every ticket; move that one to the end"),
    ("first_response: 4h, next", "first_respons: 4h, next",
     "rules/sla.yaml:51: unknown target 'first_respons' (did you mean 'first_response'?); "
     "known: first_response, next_response, resolution"),
    ("target: 8h", "target: 8h, tagret: 1h",
     "rules/sla.yaml:58: unknown key 'tagret' (did you mean 'target'?)"),
])
def test_mistakes_are_reported_with_file_and_line(old: str, new: str, expected: str) -> None:
    assert error_for(old, new) == expected


def test_an_ola_team_must_be_known_when_teams_are() -> None:
    vocabulary = Vocabulary(teams=frozenset({"hardwire", "network"}))
    assert error_for("target: 8h", "target: 8h", vocabulary) == (
        "rules/sla.yaml:58: unknown team 'hardware' (did you mean 'hardwire'?); "
        "known: hardwire, network")


def test_a_default_policy_may_be_named() -> None:
    text = BASE.replace("  - name: standard\n", "  - name: standard\n    if: {priority: normal}\n")
    config = parse_sla(text + "default: urgent\n")
    assert config.default.name == "urgent"
