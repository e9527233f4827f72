"""The automations every new desk starts with, each in its scenario (pure, no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from postdesk.automation import (
    EventFacts,
    RuleContext,
    RuleSet,
    RunResult,
    TicketFacts,
    load_rules,
    run_rules,
)
from postdesk.config.shipped import shipped as shipped_folder
from rule_facts import NOW, ticket_facts

WAITING = ticket_facts(
    id=7, status="waiting_for_customer", team="hardware", assignee="ann@desk.example",
    requester_language="de", created_at=NOW - timedelta(days=10),
    status_changed_at=NOW - timedelta(days=2), last_customer_message_at=NOW - timedelta(days=3),
    sla_paused=True,
)


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_rules(shipped_folder("rules"))


def run(rules: RuleSet, event: EventFacts, ticket: TicketFacts) -> RunResult:
    return run_rules(rules, event, ticket, now=NOW, context=RuleContext())


def summary(result: RunResult) -> list[tuple[str, str, dict[str, Any]]]:
    return [(e.rule, e.action, dict(e.params)) for e in result.effects]


def test_the_shipped_automations_load(shipped: RuleSet) -> None:
    assert [rule.name for rule in shipped.rules] == [
        "customer-replied-resumes-work", "first-answer-starts-work",
        "waiting-for-customer-pauses-sla",
        "leaving-waiting-resumes-sla", "resolve-duplicates-with-original",
        "tell-the-customer-the-outcome", "tell-the-customer-the-ticket-is-reopened",
        "ask-for-satisfaction", "bad-rating-tells-the-team-lead",
        "resolve-after-7-days-without-reply",
        "acknowledge-new-ticket", "tell-the-assignee-about-a-customer-reply",
        "tell-the-team-about-a-customer-reply", "tell-the-new-assignee", "tell-the-new-team",
        "warn-the-assignee-before-a-breach",
        "warn-the-team-before-a-breach", "tell-the-team-lead-about-a-breach"]
    assert shipped.files == ("rules/automation.yaml",)


def test_1_customer_reply_resumes_work_and_the_sla(shipped: RuleSet) -> None:
    event = EventFacts("message.received", author_role="customer",
                       author_email="carl@customer.example", body="Here is the log.")
    result = run(shipped, event, WAITING)
    assert summary(result) == [
        ("customer-replied-resumes-work", "set_status",
         {"status": "in_progress", "old": "waiting_for_customer"}),
        ("customer-replied-resumes-work", "resume_sla", {}),
        ("tell-the-assignee-about-a-customer-reply", "notify",
         {"template": "agent_customer_replied", "to": ("assignee",), "team": "hardware",
          "assignee": "ann@desk.example"}),
    ]
    assert result.ticket.status == "in_progress" and not result.ticket.sla_paused
    agent = replace(event, author_role="agent", author_email="ann@desk.example")
    assert run(shipped, agent, WAITING).effects == ()


def test_1_a_participants_reply_resumes_work_too(shipped: RuleSet) -> None:
    """Issue 24: a Cc'd colleague's answer left the ticket waiting, the SLA paused and
    the 7-day auto-resolve armed."""
    event = EventFacts("message.received", author_role="participant",
                       author_email="bob@customer.example", body="Here is the serial.")
    result = run(shipped, event, WAITING)
    assert result.ticket.status == "in_progress" and not result.ticket.sla_paused
    assert ("customer-replied-resumes-work", "resume_sla", {}) in summary(result)


def test_1b_the_first_public_answer_starts_the_work(shipped: RuleSet) -> None:
    """Issue 24: a ticket stayed "Received" after the agent's first public reply."""
    fresh = replace(WAITING, status="new", sla_paused=False)
    answer = EventFacts("message.received", author_role="agent",
                        author_email="ann@desk.example", body="Try turning it off.")
    result = run(shipped, answer, fresh)
    assert ("first-answer-starts-work", "set_status",
            {"status": "in_progress", "old": "new"}) in summary(result)
    assert result.ticket.status == "in_progress"
    note = replace(answer, public=False)  # an internal note or #silent: still "Received"
    assert run(shipped, note, fresh).ticket.status == "new"
    # a customer's mail or a ticket already in progress: nothing
    customer = replace(answer, author_role="customer", author_email="carl@customer.example")
    assert run(shipped, customer, fresh).ticket.status == "new"


def test_2_asking_the_customer_pauses_the_sla(shipped: RuleSet) -> None:
    working = replace(WAITING, status="in_progress", sla_paused=False)
    event = EventFacts("status.changed", author_role="agent", author_email="ann@desk.example",
                       old="in_progress", new="waiting_for_customer")
    asked = replace(working, status="waiting_for_customer")
    result = run(shipped, event, asked)
    assert summary(result) == [("waiting-for-customer-pauses-sla", "pause_sla", {})]
    assert result.ticket.sla_paused
    other = replace(event, new="waiting_for_vendor")
    assert run(shipped, other, replace(working, status="waiting_for_vendor")).effects == ()


def test_2b_leaving_waiting_by_hand_resumes_the_sla(shipped: RuleSet) -> None:
    event = EventFacts("status.changed", author_role="agent", author_email="ann@desk.example",
                       old="waiting_for_customer", new="in_progress")
    moved = replace(WAITING, status="in_progress")
    result = run(shipped, event, moved)
    assert summary(result) == [("leaving-waiting-resumes-sla", "resume_sla", {})]
    assert not result.ticket.sla_paused
    # nothing to resume: the rule stays quiet (and leaving another status is not its business)
    assert run(shipped, event, replace(moved, sla_paused=False)).effects == ()
    vendor = replace(event, old="waiting_for_vendor")
    assert run(shipped, vendor, moved).effects == ()


def test_3_resolving_resolves_the_duplicates_with_a_comment(shipped: RuleSet) -> None:
    original = replace(WAITING, status="resolved", sla_paused=False,
                       links=(("duplicated_by", 11), ("related", 12), ("duplicated_by", 13)))
    event = EventFacts("status.changed", author_role="agent", old="in_progress",
                       new="resolved")
    assert summary(run(shipped, event, original)) == [
        ("resolve-duplicates-with-original", "resolve_linked",
         {"kind": "duplicated_by", "tickets": (11, 13), "status": "resolved",
          "template": "duplicate_resolved"}),
        ("tell-the-customer-the-outcome", "reply",
         {"template": "status_changed", "to": ("carl@customer.example",)}),
        ("ask-for-satisfaction", "ask_satisfaction", {}),
    ]
    alone = replace(original, links=(("related", 12),))
    assert [e.rule for e in run(shipped, event, alone).effects] == [
        "tell-the-customer-the-outcome", "ask-for-satisfaction"]


@pytest.mark.parametrize("old, new, rule, role", [
    ("in_progress", "resolved", "tell-the-customer-the-outcome", "agent"),
    ("resolved", "closed", "tell-the-customer-the-outcome", "agent"),
    ("resolved", "in_progress", "tell-the-customer-the-ticket-is-reopened", "agent"),
    ("closed", "waiting_for_customer", "tell-the-customer-the-ticket-is-reopened", "agent"),
    ("resolved", "in_progress", "tell-the-customer-the-ticket-is-reopened", "customer"),
])
def test_3b_an_agent_s_resolution_or_reopening_is_told_to_the_customer(
        shipped: RuleSet, old: str, new: str, rule: str, role: str) -> None:
    event = EventFacts("status.changed", author_role=role, old=old, new=new)
    ticket = replace(WAITING, status=new, sla_paused=False)
    assert [(e.rule, e.action, e.params["template"]) for e in run(shipped, event, ticket).effects
            if e.action == "reply"] == [(rule, "reply", "status_changed")]


def test_3b_other_status_moves_and_the_system_s_own_send_no_status_mail(
        shipped: RuleSet) -> None:
    for old, new, role in [("new", "in_progress", "agent"), ("in_progress", "resolved", "system"),
                           ("resolved", "in_progress", "system")]:
        event = EventFacts("status.changed", author_role=role, old=old, new=new)
        effects = run(shipped, event, replace(WAITING, status=new, sla_paused=False)).effects
        assert not [e for e in effects if e.action == "reply"], (old, new, role)


@pytest.mark.parametrize("rating, fires", [(1, True), (2, True), (3, False), (5, False)])
def test_3e_a_low_rating_tells_the_team_lead_with_a_note(shipped: RuleSet, rating: int,
                                                          fires: bool) -> None:
    event = EventFacts("satisfaction.rated", author_role="customer",
                       author_email="carl@customer.example", rating=rating)
    effects = run(shipped, event, replace(WAITING, status="resolved")).effects
    assert [(e.rule, e.action) for e in effects] == ([
        ("bad-rating-tells-the-team-lead", "add_note"),
        ("bad-rating-tells-the-team-lead", "notify")] if fires else [])


def test_4_seven_days_without_an_answer_resolves_politely(shipped: RuleSet) -> None:
    stale = replace(WAITING, status_changed_at=NOW - timedelta(days=7),
                    links=(("duplicated_by", 21),))
    result = run(shipped, EventFacts("schedule"), stale)
    assert summary(result) == [
        ("resolve-after-7-days-without-reply", "set_status",
         {"status": "resolved", "old": "waiting_for_customer"}),
        ("resolve-after-7-days-without-reply", "reply",
         {"template": "resolved_without_reply", "to": ("carl@customer.example",)}),
        # the change chains into automation 2b (a reopened ticket is not left paused)
        ("leaving-waiting-resumes-sla", "resume_sla", {}),
        # and into automation 3
        ("resolve-duplicates-with-original", "resolve_linked",
         {"kind": "duplicated_by", "tickets": (21,), "status": "resolved",
          "template": "duplicate_resolved"}),
        # and into the survey (which [csat] for_auto_closed turns down by default)
        ("ask-for-satisfaction", "ask_satisfaction", {}),
    ]
    assert result.effects[1].auditor is False
    assert run(shipped, EventFacts("schedule"), replace(
        stale, status_changed_at=NOW - timedelta(days=6, hours=23))).effects == ()
    assert run(shipped, EventFacts("schedule"), replace(
        stale, tags=frozenset({"no-autoclose"}))).effects == ()


def test_5_new_ticket_acknowledges_and_tells_the_team(shipped: RuleSet) -> None:
    new = replace(WAITING, status="new", assignee=None, sla_paused=False,
                  status_changed_at=NOW, created_at=NOW)
    event = EventFacts("ticket.created", author_role="customer",
                       author_email="carl@customer.example", subject="Printer on fire")
    result = run(shipped, event, new)
    assert summary(result) == [
        ("acknowledge-new-ticket", "reply",
         {"template": "acknowledgment", "to": ("carl@customer.example",)}),
        ("acknowledge-new-ticket", "notify",
         {"template": "agent_new_ticket", "to": ("team",), "team": "hardware",
          "assignee": None}),
    ]
    assert all(not e.auditor for e in result.effects)


def test_8_a_warning_goes_to_the_assignee_or_else_the_team(shipped: RuleSet) -> None:
    warning = EventFacts("sla.warning", old="resolution", new="75%")
    assert summary(run(shipped, warning, WAITING)) == [
        ("warn-the-assignee-before-a-breach", "notify",
         {"template": "sla_warning", "to": ("assignee",), "team": "hardware",
          "assignee": "ann@desk.example"})]
    nobody = replace(WAITING, assignee=None)
    assert summary(run(shipped, warning, nobody)) == [
        ("warn-the-team-before-a-breach", "notify",
         {"template": "sla_warning", "to": ("team",), "team": "hardware", "assignee": None})]
    # a breach goes to the team lead (issue 24: breaches were silent out of the box)
    assert summary(run(shipped, EventFacts("sla.breached", old="resolution", new="breach"),
                       WAITING)) == [
        ("tell-the-team-lead-about-a-breach", "notify",
         {"template": "sla_warning", "to": ("team_lead",), "team": "hardware",
          "assignee": "ann@desk.example"})]


def test_7_an_assignment_tells_the_new_assignee_or_the_new_team(shipped: RuleSet) -> None:
    """Issue 24: `#assign` notified neither the new assignee nor the new team."""
    to_ann = EventFacts("assignee.changed", author_role="agent", author_email="bob@desk.example",
                        old=None, new="ann@desk.example")
    assert summary(run(shipped, to_ann, WAITING)) == [
        ("tell-the-new-assignee", "notify",
         {"template": "agent_assigned", "to": ("assignee",), "team": "hardware",
          "assignee": "ann@desk.example"})]
    team_only = replace(WAITING, assignee=None)
    to_team = replace(to_ann, old="ann@desk.example", new=None)
    assert summary(run(shipped, to_team, team_only)) == [
        ("tell-the-new-team", "notify",
         {"template": "agent_assigned", "to": ("team",), "team": "hardware", "assignee": None})]
