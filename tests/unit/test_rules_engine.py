"""Engine semantics: order, chaining, bounds, stop, no-op changes, explain over a chain."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from postdesk.automation import (
    EventFacts,
    RuleContext,
    explain,
    parse_rules,
    run_rules,
)
from rule_facts import NOW, ticket_facts

TICKET = ticket_facts()
MAIL = EventFacts("message.received", author_role="customer", author_email="carl@x.example")


def rule(name: str, on: str, condition: str, actions: str, extra: str = "") -> str:
    return (f"  - name: {name}\n    on: {on}\n    if: {condition}\n    then: {actions}\n"
            + (f"    {extra}\n" if extra else ""))


def rules_of(*parts: str):  # type: ignore[no-untyped-def]
    return parse_rules("rules:\n" + "".join(parts))


def test_a_ping_pong_pair_fires_each_rule_once_then_stops() -> None:
    rules = rules_of(
        rule("start", "message.received", "{}", "[set_status: in_progress]"),
        rule("ping", "status.changed", "{status: in_progress}", "[set_status: triage]"),
        rule("pong", "status.changed", "{status: triage}", "[set_status: in_progress]"),
    )
    result = run_rules(rules, MAIL, TICKET, now=NOW, context=RuleContext())
    assert result.fired == (("start", "message.received"), ("ping", "status.changed"),
                            ("pong", "status.changed"))
    assert [e.params["status"] for e in result.effects] == ["in_progress", "triage",
                                                            "in_progress"]
    # pong fires on the same status.changed as ping: it sees the status ping left
    assert [e.depth for e in result.effects] == [0, 1, 1]
    assert result.ticket.status == "in_progress" and result.skipped == ()


def test_a_chain_longer_than_max_depth_is_cut_and_reported() -> None:
    steps = ["new", "triage", "in_progress", "waiting_for_vendor", "resolved", "closed"]
    rules = rules_of(
        rule("kick", "message.received", "{}", "[set_priority: high]"),
        rule("p", "priority.changed", "{}", f"[set_status: {steps[1]}]"),
        # in reverse file order, so that each step needs the event of the step before
        *reversed([rule(f"s{i}", "status.changed", f"{{status: {a}}}", f"[set_status: {b}]")
                   for i, (a, b) in enumerate(pairwise(steps[1:]))]),
    )
    result = run_rules(rules, MAIL, TICKET, now=NOW, context=RuleContext(max_depth=3))
    # depth 0 kick, 1 p, 2 s0, 3 s1 -> the change s1 makes would be depth 4
    assert [name for name, _ in result.fired] == ["kick", "p", "s0", "s1"]
    assert result.ticket.status == "waiting_for_vendor"
    (skipped,) = result.skipped
    assert (skipped.event.kind, skipped.event.old, skipped.event.new, skipped.depth) == (
        "status.changed", "in_progress", "waiting_for_vendor", 4)
    assert skipped.event.caused_by_rule == "s1"
    assert "max_depth is 3" in skipped.reason
    unbounded = run_rules(rules, MAIL, TICKET, now=NOW, context=RuleContext(max_depth=10))
    assert unbounded.ticket.status == "closed" and unbounded.skipped == ()
    none = run_rules(rules, MAIL, TICKET, now=NOW, context=RuleContext(max_depth=0))
    assert [name for name, _ in none.fired] == ["kick"] and len(none.skipped) == 1


def test_derived_events_carry_old_new_role_and_rule() -> None:
    rules = rules_of(
        rule("start", "message.received", "{}", "[set_status: in_progress, assign: a@x.example]"),
        rule("watch", "status.changed",
             "{changed_from: new, changed_to: in_progress, author_role: system, "
             "caused_by_rule: start}", "[add_note: status]"),
        rule("who", "assignee.changed", "{changed_from: none, changed_to: a@x.example}",
             "[add_note: assignee]"),
    )
    result = run_rules(rules, MAIL, TICKET, now=NOW, context=RuleContext())
    assert [name for name, _ in result.fired] == ["start", "watch", "who"]


def test_derived_events_run_after_the_current_event_breadth_first() -> None:
    rules = rules_of(
        rule("a", "message.received", "{}", "[set_status: triage]"),
        rule("b", "message.received", "{}", "[set_priority: high]"),
        rule("c", "status.changed", "{}", "[add_tag: from-status]"),
        rule("d", "priority.changed", "{}", "[add_tag: from-priority]"),
    )
    result = run_rules(rules, MAIL, TICKET, now=NOW, context=RuleContext())
    assert [name for name, _ in result.fired] == ["a", "b", "c", "d"]


def test_later_rules_see_what_earlier_rules_changed() -> None:
    rules = rules_of(
        rule("first", "message.received", "{status: new}", "[set_status: in_progress]"),
        rule("second", "message.received", "{status: new}", "[add_tag: never]"),
        rule("third", "message.received", "{status: in_progress}", "[add_tag: seen]"),
    )
    result = run_rules(rules, MAIL, TICKET, now=NOW, context=RuleContext())
    assert result.ticket.tags == {"seen"}


def test_setting_an_existing_value_triggers_nothing() -> None:
    rules = rules_of(
        rule("same", "message.received", "{}", "[set_status: new]"),
        rule("never", "status.changed", "{}", "[add_tag: changed]"),
    )
    result = run_rules(rules, MAIL, TICKET, now=NOW, context=RuleContext())
    assert result.fired == (("same", "message.received"),)
    assert result.effects == () and [e.action for e in result.unchanged] == ["set_status"]


def test_stop_keeps_later_rules_from_the_event_but_not_from_the_chain() -> None:
    rules = rules_of(
        rule("vip", "message.received", "{}", "[set_priority: urgent]", "stop: true"),
        rule("normal", "message.received", "{}", "[add_tag: normal]"),
        rule("escalate", "priority.changed", "{changed_to: urgent}", "[add_tag: escalated]"),
    )
    result = run_rules(rules, MAIL, TICKET, now=NOW, context=RuleContext())
    assert [name for name, _ in result.fired] == ["vip", "escalate"]
    reasons = {(e.rule, e.event): e.reason for e in explain(rules, MAIL, TICKET, NOW)}
    assert reasons[("normal", "message.received")] == "skipped: rule 'vip' has stop: true"


def test_round_robin_continues_within_one_run() -> None:
    rules = rules_of(
        rule("one", "message.received", "{}", "[assign: hw]"),
        rule("two", "assignee.changed", "{}", "[assign: hw]"),
    )
    teams = {"hw": ("a@x.example", "b@x.example", "c@x.example")}
    result = run_rules(rules, MAIL, TICKET, now=NOW, context=RuleContext(teams=teams))
    assert [e.params["assignee"] for e in result.effects] == ["a@x.example", "b@x.example"]
    assert result.last_assigned == {"hw": "b@x.example"}


def test_only_rules_listening_to_the_event_run() -> None:
    rules = rules_of(rule("late", "schedule", "{}", "[add_tag: late]"))
    assert run_rules(rules, MAIL, TICKET, now=NOW, context=RuleContext()).fired == ()
    assert explain(rules, MAIL, TICKET, NOW)[0].reason == "listens to schedule"


def test_explain_follows_the_chain_and_reports_repeats() -> None:
    rules = rules_of(
        rule("start", "message.received", "{}", "[set_status: in_progress]"),
        rule("ping", "status.changed", "{status: in_progress}", "[set_status: triage]"),
        rule("pong", "status.changed", "{status: triage}", "[set_status: in_progress]"),
    )
    lines = [str(e) for e in explain(rules, MAIL, TICKET, NOW, RuleContext())]
    assert lines[0] == "rule start (rules/automation.yaml:2) on message.received: matched"
    assert lines[1].startswith("rule ping (rules/automation.yaml:6) on message.received: "
                               "not matched: listens to status.changed")
    assert lines[3:5] == [
        "rule ping (rules/automation.yaml:6) on status.changed (chain depth 1): matched",
        "rule pong (rules/automation.yaml:10) on status.changed (chain depth 1): matched",
    ]
    assert len(lines) == 9 and lines[-2:] == [
        "rule ping (rules/automation.yaml:6) on status.changed (chain depth 2): not matched: "
        "skipped: already fired for status.changed in this run",
        "rule pong (rules/automation.yaml:10) on status.changed (chain depth 2): not matched: "
        "skipped: already fired for status.changed in this run",
    ]


def test_a_snapshot_gives_back_the_facts_the_rules_saw() -> None:
    import json

    from postdesk.automation.snapshot import restore, snapshot

    ticket = replace(TICKET, tags=frozenset({"vip", "a"}), links=(("related", 7),))
    data = json.loads(json.dumps(snapshot(MAIL, ticket, message_id=3,
                                          sender={"verified": False})))
    event, facts = restore(data, body=MAIL.body)
    assert (event, facts) == (MAIL, ticket)
    assert "body" not in data["event"] and data["sender"] == {"verified": False}


def test_the_snapshots_stay_out_of_a_tickets_activity() -> None:
    from postdesk.automation.snapshot import SNAPSHOT_EVENT
    from postdesk.tickets.views import HIDDEN_EVENTS

    assert SNAPSHOT_EVENT in HIDDEN_EVENTS
