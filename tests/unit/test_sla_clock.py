"""SLA clocks replayed from a ticket's events, with hand-computed expectations.

The office calendar is Europe/Warsaw, Mon-Thu 08-16, Fri 08-12 and 13-16.
March 2026: Mon 2 is a working Monday, times are CET (+01:00).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from postdesk.automation import TicketFacts
from postdesk.sla import (
    ClockState,
    SlaEvent,
    compute_clocks,
    crossed,
    next_threshold,
    parse_sla,
    select_policy,
)

SLA = """\
calendars:
  office:
    timezone: Europe/Warsaw
    hours: {mon-thu: ["08:00-16:00"], fri: ["08:00-12:00", "13:00-16:00"]}
    holidays: {country: PL}
  always: {timezone: UTC, hours: "24/7"}
policies:
  - name: urgent
    if: {priority: [urgent]}
    calendar: always
    targets: {first_response: 30m, resolution: 4h}
  - name: vip
    if: {sender_domain: vip.example}
    calendar: office
    targets: {first_response: 1h}
  - name: standard
    calendar: office
    pause_on: [waiting_for_customer, waiting_for_vendor]
    targets: {first_response: 4h, next_response: 8h, resolution: 16h}
    priority_targets: {high: {resolution: 8h}}
    warn: ["75%", "90%", "30m before"]
ola:
  - {team: hardware, calendar: office, target: 8h}
"""
CONFIG = parse_sla(SLA)
STANDARD = CONFIG.policy("standard")
URGENT = CONFIG.policy("urgent")
assert STANDARD is not None and URGENT is not None


def at(text: str) -> datetime:
    """`"Mon 2 10:00"`-style shorthand is unclear; use ISO with the CET offset."""
    return datetime.fromisoformat(text if "+" in text or "Z" in text else text + "+01:00")


def ev(when: str, kind: str, to: str | None = None, priority: str | None = None) -> SlaEvent:
    return SlaEvent(at(when), kind, to, priority)


def clocks(events: list[SlaEvent], now: str, policy=STANDARD) -> dict[str, ClockState]:
    return compute_clocks(CONFIG, policy, events, at(now))


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


CREATED = ev("2026-03-02T08:00:00", "created", priority="normal")


def test_first_response_is_met_by_the_first_agent_reply() -> None:
    result = clocks([CREATED, ev("2026-03-02T09:30:00", "agent_reply"),
                     ev("2026-03-02T10:00:00", "agent_reply")], "2026-03-02T11:00:00")
    first = result["first_response"]
    assert (first.state, first.due, first.elapsed_s, first.remaining_s) == (
        "met", None, 5400, 9000)
    assert iso(first.met_at) == "2026-03-02T09:30:00+01:00"
    assert "next_response" not in result  # no customer reply after the agent's yet


def test_an_unanswered_first_response_breaches_at_its_due_time() -> None:
    result = clocks([CREATED], "2026-03-02T13:00:00")["first_response"]
    assert (result.state, iso(result.due), result.elapsed_s, result.remaining_s) == (
        "breached", "2026-03-02T12:00:00+01:00", 18000, -3600)
    late = clocks([CREATED, ev("2026-03-02T13:00:00", "agent_reply")],
                  "2026-03-02T14:00:00")["first_response"]
    assert (late.state, iso(late.breached_at), iso(late.met_at)) == (
        "breached", "2026-03-02T12:00:00+01:00", "2026-03-02T13:00:00+01:00")


def test_a_reply_exactly_at_the_due_time_is_met() -> None:
    result = clocks([CREATED, ev("2026-03-02T12:00:00", "agent_reply")],
                    "2026-03-02T15:00:00")["first_response"]
    assert (result.state, result.remaining_s) == ("met", 0)


def test_next_response_restarts_at_each_customer_reply_after_an_agent_reply() -> None:
    events = [CREATED, ev("2026-03-02T09:00:00", "agent_reply"),
              ev("2026-03-02T10:00:00", "customer_reply"),
              ev("2026-03-02T11:00:00", "customer_reply"),  # no restart
              ev("2026-03-02T12:00:00", "agent_reply")]
    met = clocks(events, "2026-03-02T12:30:00")["next_response"]
    assert (met.state, met.cycle, met.elapsed_s) == ("met", 1, 7200)
    events.append(ev("2026-03-02T13:00:00", "customer_reply"))
    running = clocks(events, "2026-03-02T14:00:00")["next_response"]
    # 7h left at Mon 14:00: Mon 14-16 (2h), Tue 08-13 (5h)
    assert (running.state, running.cycle, running.elapsed_s, iso(running.due)) == (
        "running", 2, 3600, "2026-03-03T13:00:00+01:00")


def test_business_hours_across_a_weekend() -> None:
    events = [ev("2026-03-05T14:00:00", "created", priority="normal")]
    result = clocks(events, "2026-03-05T15:00:00")["resolution"]
    # 15h left at Thu 15:00: Thu 1h, Fri 7h, Mon 08-15 7h
    assert (result.state, result.elapsed_s, iso(result.due)) == (
        "running", 3600, "2026-03-09T15:00:00+01:00")


def test_a_holiday_is_skipped() -> None:
    events = [ev("2026-04-02T15:00:00+02:00", "created", priority="normal")]
    result = clocks(events, "2026-04-02T15:00:00+02:00")["first_response"]
    # Thu 2 April 15-16 (1h), Fri 3 April 08-11 (3h)
    assert iso(result.due) == "2026-04-03T11:00:00+02:00"
    result = clocks(events, "2026-04-02T15:00:00+02:00")["resolution"]
    # 16h: Thu 1h, Fri 7h, Easter Monday closed, Tue 7 April 8h -> 16:00
    assert iso(result.due) == "2026-04-07T16:00:00+02:00"


def test_a_dst_change_in_warsaw_during_a_pause_over_the_weekend() -> None:
    # The example of the issue: Fri 27 March CET to Mon 30 March CEST.
    events = [ev("2026-03-27T15:00:00", "created", priority="normal"),
              ev("2026-03-27T15:30:00", "agent_reply"),
              ev("2026-03-27T15:31:00", "status", "waiting_for_customer"),
              ev("2026-03-30T09:10:00+02:00", "customer_reply"),
              ev("2026-03-30T09:11:00+02:00", "status", "in_progress")]
    result = clocks(events, "2026-03-30T12:00:00+02:00")["resolution"]
    # 31m on Friday + Mon 09:11-12:00 (2h49m) = 12000 s; 12h40m left:
    # Mon 12-16 (4h), Tue 8h, Wed 08:00-08:40
    assert (result.elapsed_s, result.remaining_s, iso(result.due)) == (
        12000, 45600, "2026-04-01T08:40:00+02:00")


def test_a_pause_starting_before_and_ending_after_business_hours() -> None:
    events = [ev("2026-03-02T10:00:00", "created", priority="normal"),
              ev("2026-03-02T10:30:00", "agent_reply"),
              ev("2026-03-03T06:00:00", "status", "waiting_for_customer"),
              ev("2026-03-03T17:30:00", "status", "in_progress")]
    result = clocks(events, "2026-03-04T10:00:00")["resolution"]
    # Mon 10-16 (6h) + Wed 08-10 (2h); Tuesday's 8h were paused; 8h left: Wed 6h, Thu 2h
    assert (result.state, result.elapsed_s, iso(result.due)) == (
        "running", 28800, "2026-03-05T10:00:00+01:00")
    assert [(iso(s), iso(e)) for s, e in result.paused] == [
        ("2026-03-03T06:00:00+01:00", "2026-03-03T17:30:00+01:00")]


def test_several_pauses() -> None:
    events = [CREATED,
              ev("2026-03-02T09:00:00", "status", "waiting_for_customer"),
              ev("2026-03-02T10:00:00", "status", "in_progress"),
              ev("2026-03-02T11:30:00", "status", "waiting_for_vendor"),
              ev("2026-03-02T13:00:00", "status", "in_progress")]
    result = clocks(events, "2026-03-02T14:00:00")
    resolution = result["resolution"]
    # 6h minus 1h and 1h30m paused = 3h30m; 12h30m left: Mon 2h, Tue 8h, Wed 08-10:30
    assert (resolution.elapsed_s, iso(resolution.due)) == (12600, "2026-03-04T10:30:00+01:00")
    assert len(resolution.paused) == 2
    first = result["first_response"]  # paused the same way
    assert (first.elapsed_s, iso(first.due)) == (12600, "2026-03-02T14:30:00+01:00")


def test_a_paused_clock_has_no_due_time() -> None:
    events = [CREATED, ev("2026-03-02T09:00:00", "status", "waiting_for_vendor")]
    result = clocks(events, "2026-03-05T09:00:00")["resolution"]
    assert (result.state, result.due, result.elapsed_s) == ("paused", None, 3600)
    assert [(iso(s), e) for s, e in result.paused] == [("2026-03-02T09:00:00+01:00", None)]


def test_a_reopened_ticket_resumes_its_resolution_clock() -> None:
    events = [CREATED, ev("2026-03-02T09:00:00", "agent_reply"),
              ev("2026-03-02T12:00:00", "status", "resolved")]
    resolved = clocks(events, "2026-03-03T12:00:00")["resolution"]
    assert (resolved.state, resolved.due, resolved.elapsed_s, resolved.remaining_s) == (
        "met", None, 14400, 43200)
    events += [ev("2026-03-04T09:00:00", "customer_reply"),
               ev("2026-03-04T10:00:00", "status", "in_progress")]
    result = clocks(events, "2026-03-04T11:00:00")
    # 4h before + Wed 10-11; 11h left: Wed 11-16 (5h), Thu 08-14 (6h)
    resolution = result["resolution"]
    assert (resolution.state, resolution.elapsed_s, iso(resolution.due)) == (
        "running", 18000, "2026-03-05T14:00:00+01:00")
    # The customer's reply started next_response, held while still resolved.
    nxt = result["next_response"]
    assert (nxt.state, nxt.elapsed_s, iso(nxt.due)) == (
        "running", 3600, "2026-03-05T10:00:00+01:00")
    assert [(iso(s), iso(e)) for s, e in nxt.paused] == [
        ("2026-03-04T09:00:00+01:00", "2026-03-04T10:00:00+01:00")]


def test_a_policy_change_mid_ticket_is_recomputed_from_the_start() -> None:
    events = [CREATED, ev("2026-03-02T09:00:00", "priority", "urgent"),
              ev("2026-03-02T09:00:00", "policy", "urgent")]
    ticket = TicketFacts(
        id=1, status="new", priority="urgent", request_type=None, team=None, assignee=None,
        tags=frozenset(), requester_email="c@customer.example", requester_language=None,
        created_at=at("2026-03-02T08:00:00"), status_changed_at=at("2026-03-02T08:00:00"),
        last_customer_message_at=at("2026-03-02T08:00:00"))
    policy = select_policy(CONFIG, ticket)
    assert policy.name == "urgent"
    result = clocks(events, "2026-03-02T09:15:00", policy)
    first, resolution = result["first_response"], result["resolution"]
    # Measured on the 24/7 UTC calendar from creation (07:00Z).
    assert (first.state, iso(first.due), first.remaining_s) == (
        "breached", "2026-03-02T07:30:00+00:00", -2700)
    assert (resolution.state, iso(resolution.due)) == ("running", "2026-03-02T11:00:00+00:00")
    before = clocks(events, "2026-03-02T09:15:00")["first_response"]
    assert (before.state, iso(before.due)) == ("running", "2026-03-02T12:00:00+01:00")
    assert select_policy(CONFIG, replace(ticket, priority="normal")).name == "standard"
    vip = replace(ticket, priority="normal", requester_email="boss@mail.vip.example")
    assert select_policy(CONFIG, vip).name == "vip"


def test_priority_targets_follow_the_current_priority() -> None:
    events = [CREATED, ev("2026-03-02T10:00:00", "priority", "high")]
    result = clocks(events, "2026-03-02T10:00:00")["resolution"]
    assert (result.target_s, iso(result.due)) == (28800, "2026-03-02T16:00:00+01:00")


def test_ola_runs_from_assignment_to_the_team_reply() -> None:
    events = [CREATED, ev("2026-03-02T10:00:00", "assign", "hardware"),
              ev("2026-03-03T09:00:00", "agent_reply")]
    result = clocks(events, "2026-03-03T12:00:00")["ola:hardware"]
    # Mon 10-16 (6h) + Tue 08-09 (1h)
    assert (result.state, result.elapsed_s, result.remaining_s) == ("met", 25200, 3600)


def test_ola_ends_at_reassignment_and_breaches_when_late() -> None:
    events = [CREATED, ev("2026-03-02T10:00:00", "assign", "hardware"),
              ev("2026-03-03T12:00:00", "assign", "network")]
    result = clocks(events, "2026-03-03T13:00:00")
    hardware = result["ola:hardware"]
    assert (hardware.state, iso(hardware.due), hardware.elapsed_s) == (
        "breached", "2026-03-03T10:00:00+01:00", 36000)
    assert "ola:network" not in result  # no OLA for that team
    back = clocks([*events, ev("2026-03-03T14:00:00", "assign", "hardware")],
                  "2026-03-03T15:00:00")["ola:hardware"]
    assert (back.state, back.cycle, back.elapsed_s) == ("running", 2, 3600)


def test_warnings_and_the_next_threshold() -> None:
    result = clocks([CREATED], "2026-03-02T09:00:00")
    first = result["first_response"]
    assert [(label, iso(moment)) for label, moment in first.warnings_due] == [
        ("75%", "2026-03-02T11:00:00+01:00"),
        ("30m before", "2026-03-02T11:30:00+01:00"),
        ("90%", "2026-03-02T11:36:00+01:00")]
    resolution = result["resolution"]
    assert [iso(moment) for _, moment in resolution.warnings_due] == [
        "2026-03-03T12:00:00+01:00", "2026-03-03T14:24:00+01:00", "2026-03-03T15:30:00+01:00"]
    assert iso(resolution.due) == "2026-03-03T16:00:00+01:00"
    assert iso(next_threshold(result)) == "2026-03-02T11:00:00+01:00"
    later = clocks([CREATED], "2026-03-02T11:40:00")
    fired = crossed(later, after=at("2026-03-02T09:00:00"), until=at("2026-03-02T11:40:00"))
    assert [c.key for c in fired] == [
        "first_response#1:75%", "first_response#1:30m before", "first_response#1:90%"]
    assert iso(next_threshold(later)) == "2026-03-02T12:00:00+01:00"  # the breach
    breached = clocks([CREATED], "2026-03-02T12:00:00")
    assert [c.key for c in crossed(breached, at("2026-03-02T11:40:00"),
                                   at("2026-03-02T12:00:00"))] == ["first_response#1:breach"]


def test_a_paused_or_met_ticket_has_no_next_threshold() -> None:
    events = [CREATED, ev("2026-03-02T08:30:00", "agent_reply"),
              ev("2026-03-02T09:00:00", "status", "waiting_for_customer")]
    assert next_threshold(clocks(events, "2026-03-02T10:00:00")) is None


def test_recomputation_is_deterministic_and_ignores_future_events() -> None:
    events = [CREATED, ev("2026-03-02T09:00:00", "agent_reply"),
              ev("2026-03-02T10:00:00", "status", "waiting_for_customer"),
              ev("2026-03-03T10:00:00", "customer_reply"),
              ev("2026-03-03T10:05:00", "status", "in_progress"),
              ev("2026-03-05T10:00:00", "status", "resolved")]
    now = "2026-03-04T09:00:00"
    first = clocks(events, now)
    shuffled = events[:]
    random.Random(8).shuffle(shuffled)
    assert clocks(shuffled, now) == first == clocks(events, now)
    assert clocks(events[:-1], now) == first


def test_a_24_7_clock_counts_the_weekend() -> None:
    events = [SlaEvent(at("2026-03-28T22:00:00Z"), "created", priority="urgent")]
    result = compute_clocks(CONFIG, URGENT, events, at("2026-03-28T22:10:00Z"))
    assert iso(result["first_response"].due) == "2026-03-28T22:30:00+00:00"
    assert iso(result["resolution"].due) == "2026-03-29T02:00:00+00:00"
    assert result["first_response"].remaining_s == 1200
    assert result["resolution"].due - events[0].at == timedelta(hours=4)


US = parse_sla("""\
calendars:
  new_york: {timezone: America/New_York, hours: {mon-fri: ["09:00-17:00"]}}
policies:
  - name: us
    calendar: new_york
    pause_on: [waiting_for_customer]
    targets: {first_response: 4h, next_response: 2h, resolution: 16h}
""")


def test_new_york_fall_back_during_a_pause_over_the_weekend() -> None:
    # US clocks go back on Sun 1 Nov 2026: Friday is EDT (-04:00), Monday EST (-05:00).
    def us(text: str, kind: str, to: str | None = None) -> SlaEvent:
        return SlaEvent(datetime.fromisoformat(text), kind, to,
                        "normal" if kind == "created" else None)

    events = [us("2026-10-30T15:00:00-04:00", "created"),
              us("2026-10-30T16:00:00-04:00", "agent_reply"),
              us("2026-10-30T16:30:00-04:00", "status", "waiting_for_customer"),
              us("2026-11-02T10:00:00-05:00", "customer_reply"),
              us("2026-11-02T10:15:00-05:00", "status", "in_progress")]
    result = compute_clocks(US, US.default, events,
                            datetime.fromisoformat("2026-11-02T12:00:00-05:00"))
    first, resolution, nxt = (result["first_response"], result["resolution"],
                              result["next_response"])
    assert (first.state, first.elapsed_s) == ("met", 3600)
    # Fri 15:00-16:30 (1h30m) + Mon 10:15-12:00 (1h45m) = 11700 s; 12h45m left:
    # Mon 12-17 (5h), Tue 09:00-16:45 (7h45m)
    assert (resolution.state, resolution.elapsed_s, resolution.remaining_s) == (
        "running", 11700, 45900)
    assert iso(resolution.due) == "2026-11-03T16:45:00-05:00"
    assert resolution.due is not None and iso(resolution.due.astimezone(UTC)) == (
        "2026-11-03T21:45:00+00:00")
    assert [(iso(s), iso(e)) for s, e in resolution.paused] == [
        ("2026-10-30T16:30:00-04:00", "2026-11-02T10:15:00-05:00")]
    # the customer's reply came while still waiting: next_response runs from 10:15
    assert (nxt.state, nxt.elapsed_s, iso(nxt.due)) == (
        "running", 6300, "2026-11-02T12:15:00-05:00")


def test_a_ticket_reopened_after_the_warsaw_autumn_change() -> None:
    # Warsaw goes back on Sun 25 Oct 2026: Thu/Fri are CEST (+02:00), Monday CET (+01:00).
    events = [ev("2026-10-22T15:00:00+02:00", "created", priority="normal"),
              ev("2026-10-22T15:30:00+02:00", "agent_reply"),
              ev("2026-10-23T11:00:00+02:00", "status", "resolved"),
              ev("2026-10-26T09:00:00+01:00", "status", "in_progress")]
    resolved = clocks(events, "2026-10-24T12:00:00+02:00")["resolution"]
    # Thu 15-16 (1h) + Fri 08-11 (3h)
    assert (resolved.state, resolved.elapsed_s) == ("met", 14400)
    reopened = clocks(events, "2026-10-26T10:30:00+01:00")["resolution"]
    # + Mon 09:00-10:30 = 19800 s; 10h30m left: Mon 10:30-16 (5h30m), Tue 08-13 (5h)
    assert (reopened.state, reopened.elapsed_s, iso(reopened.due)) == (
        "running", 19800, "2026-10-27T13:00:00+01:00")
    assert reopened.cycle == 1  # the same clock, its time kept


def test_a_ticket_closed_without_a_reply_has_no_first_response_clock() -> None:
    """Not "first reply paused" forever: the clock does not apply to it (issue 24); the
    resolution clock is met. Reopened, the clock is back with the time it had."""
    events = [CREATED, ev("2026-03-02T09:00:00", "status", "closed")]
    result = clocks(events, "2026-03-09T09:00:00")
    assert "first_response" not in result
    assert result["resolution"].state == "met"
    reopened = clocks([*events, ev("2026-03-09T09:00:00", "status", "in_progress")],
                      "2026-03-09T10:00:00")["first_response"]
    assert (reopened.state, reopened.elapsed_s) == ("running", 7200)


def test_a_ticket_closed_late_without_a_reply_stays_breached() -> None:
    events = [CREATED, ev("2026-03-02T13:00:00", "status", "closed")]
    assert clocks(events, "2026-03-09T09:00:00")["first_response"].state == "breached"


def test_an_ola_of_a_team_assigned_and_resolved_in_one_mail_does_not_apply() -> None:
    """The team never had the ticket: its OLA is neither met nor missed (issue 24)."""
    events = [CREATED, ev("2026-03-02T10:00:00", "agent_reply"),
              ev("2026-03-02T11:00:00", "assign", "hardware"),
              ev("2026-03-02T11:00:00", "status", "resolved")]
    assert "ola:hardware" not in clocks(events, "2026-03-02T12:00:00")
    later = [*events[:3], ev("2026-03-02T11:30:00", "status", "resolved")]
    assert clocks(later, "2026-03-02T12:00:00")["ola:hardware"].state == "met"
