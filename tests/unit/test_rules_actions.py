"""Each action: the effect it returns and the facts it leaves behind."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from postdesk.automation import (
    EventFacts,
    RuleContext,
    RunResult,
    TicketFacts,
    parse_rules,
    run_rules,
)
from rule_facts import NOW, ticket_facts

TICKET = ticket_facts(
    id=5, tags=frozenset({"vip"}),
    links=(("duplicated_by", 8), ("related", 3), ("duplicated_by", 9)),
)
TEAMS = {"hardware": ("ann@desk.example", "ben@desk.example", "cat@desk.example")}


def run(actions: str, ticket: TicketFacts = TICKET, **context: Any) -> RunResult:
    rules = parse_rules(f"rules:\n  - name: act\n    on: ticket.created\n    then: {actions}\n")
    return run_rules(rules, EventFacts("ticket.created", author_role="customer"), ticket,
                     now=NOW, context=RuleContext(**context))


def only(result: RunResult) -> tuple[str, dict[str, Any], bool]:
    assert len(result.effects) == 1, result.effects
    effect = result.effects[0]
    assert effect.rule == "act"
    return effect.action, dict(effect.params), effect.auditor


def test_set_status_changes_status_and_its_clock() -> None:
    result = run("[set_status: in_progress]")
    assert only(result) == ("set_status", {"status": "in_progress", "old": "new"}, True)
    assert result.ticket.status == "in_progress" and result.ticket.status_changed_at == NOW


@pytest.mark.parametrize(("action", "field", "value"), [
    ("set_priority: urgent", "priority", "urgent"),
    ("set_request_type: hardware", "request_type", "hardware"),
    ("set_customer_language: pt-br", "requester_language", "pt_BR"),
])
def test_setters(action: str, field: str, value: str) -> None:
    result = run(f"[{action}]")
    name, params, auditor = only(result)
    assert (name, params[field], auditor) == (action.split(":")[0], value, True)
    assert getattr(result.ticket, field) == value


def test_setting_the_value_it_already_has_is_no_effect() -> None:
    result = run("[set_status: new, set_priority: normal, add_tag: vip, remove_tag: gone,"
                 " resume_sla]")
    assert result.effects == () and result.ticket == TICKET
    assert [e.action for e in result.unchanged] == [
        "set_status", "set_priority", "add_tag", "remove_tag", "resume_sla"]


def test_assign_to_an_agent_keeps_the_team() -> None:
    result = run("[assign: Zed@Desk.Example]", replace(TICKET, team="billing"))
    assert only(result)[1] == {"team": "billing", "assignee": "zed@desk.example",
                               "old_team": "billing", "old_assignee": None}


def test_assign_to_a_team_is_round_robin_and_deterministic() -> None:
    first = run("[assign: hardware]", teams=TEAMS, last_assigned={"hardware": "ben@desk.example"})
    assert first.ticket.team == "hardware" and first.ticket.assignee == "cat@desk.example"
    assert first.last_assigned == {"hardware": "cat@desk.example"}
    wrapped = run("[assign: hardware]", teams=TEAMS, last_assigned=first.last_assigned)
    assert wrapped.ticket.assignee == "ann@desk.example"
    fresh = run("[assign: hardware]", teams=TEAMS)
    assert fresh.ticket.assignee == "ann@desk.example"


def test_assign_team_without_round_robin_or_agents_leaves_it_unassigned() -> None:
    plain = run("[assign: {to: hardware, round_robin: false}]", replace(
        TICKET, assignee="old@desk.example"), teams=TEAMS)
    assert (plain.ticket.team, plain.ticket.assignee) == ("hardware", None)
    empty = run("[assign: nobody-here]")
    assert (empty.ticket.team, empty.ticket.assignee) == ("nobody-here", None)
    assert empty.last_assigned == {}


def test_unassign() -> None:
    result = run("[assign: none]", replace(TICKET, team="hardware", assignee="ann@desk.example"))
    assert (result.ticket.team, result.ticket.assignee) == ("hardware", None)


def test_tags_are_added_and_removed_lowercase() -> None:
    result = run("[add_tag: [Escalated, vip], remove_tag: VIP]")
    assert [(e.action, e.params["tags"]) for e in result.effects] == [
        ("add_tag", ("escalated",)), ("remove_tag", ("vip",))]
    assert result.ticket.tags == {"escalated"}


def test_note_is_an_auditor_effect_that_changes_no_facts() -> None:
    result = run("[add_note: 'Escalated automatically.']")
    assert only(result) == ("add_note", {"text": "Escalated automatically."}, True)
    assert result.ticket == TICKET


def test_sla_pause_and_resume() -> None:
    paused = run("[pause_sla]")
    assert only(paused) == ("pause_sla", {}, True) and paused.ticket.sla_paused
    resumed = run("[resume_sla]", paused.ticket)
    assert only(resumed) == ("resume_sla", {}, True) and not resumed.ticket.sla_paused


def test_link_adds_once_and_never_to_itself() -> None:
    result = run("[link: {kind: related, ticket: 42}, link: {kind: related, ticket: 42},"
                 " link: {kind: duplicate_of, ticket: 5}]")
    assert only(result)[1] == {"kind": "related", "ticket": 42}
    assert ("related", 42) in result.ticket.links


def test_resolve_linked_names_the_linked_tickets() -> None:
    result = run("[resolve_linked: {template: duplicate_resolved}]")
    assert only(result) == ("resolve_linked", {
        "kind": "duplicated_by", "tickets": (8, 9), "status": "resolved",
        "template": "duplicate_resolved"}, True)
    assert run("[resolve_linked: duplicate_of]").effects == ()


def test_notify_and_reply_are_reactor_effects() -> None:
    ticket = replace(TICKET, team="hardware", assignee="ann@desk.example")
    result = run("[notify: {template: agent_new_ticket, to: [team, Boss@Desk.Example, team]},"
                 " reply: acknowledgment]", ticket)
    assert [(e.action, dict(e.params), e.auditor) for e in result.effects] == [
        ("notify", {"template": "agent_new_ticket", "to": ("team", "boss@desk.example"),
                    "team": "hardware", "assignee": "ann@desk.example"}, False),
        ("reply", {"template": "acknowledgment", "to": ("carl@customer.example",)}, False),
    ]
    assert result.reactor_effects == result.effects and result.auditor_effects == ()
