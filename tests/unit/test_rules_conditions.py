"""Each condition, on facts built by hand: holds or not, and the reason when not."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from postdesk.automation import (
    EventFacts,
    RuleContext,
    TicketFacts,
    explain,
    parse_rules,
    run_rules,
)
from postdesk.errors import RuleError
from rule_facts import NOW, ticket_facts

TICKET = ticket_facts(
    team="hardware", tags=frozenset({"vip"}), requester_language="pt_BR",
    created_at=NOW - timedelta(days=3), status_changed_at=NOW - timedelta(hours=5),
    last_customer_message_at=NOW - timedelta(minutes=40), links=(("duplicated_by", 9),),
)
MAIL = EventFacts("message.received", author_role="customer",
                  author_email="Carl@Mail.Customer.example", subject="URGENT: printer on fire",
                  body="Order #1234 is late.\nRegards", has_attachment=True)


def holds(condition: str, ticket: TicketFacts = TICKET, event: EventFacts = MAIL,
          context: RuleContext | None = None) -> bool:
    rules = parse_rules(f"rules:\n  - name: r\n    on: {event.kind}\n    if: {condition}\n"
                        f"    then: [add_note: seen]\n")
    return bool(run_rules(rules, event, ticket, now=NOW, context=context or RuleContext()).fired)


@pytest.mark.parametrize(("condition", "expected"), [
    ("{status: new}", True),
    ("{possible_duplicate: false}", True),
    ("{possible_duplicate: true}", False),
    ("{status: [triage, new]}", True),
    ("{status: waiting_for_customer}", False),
    ("{priority: normal}", True),
    ("{priority: [high, urgent]}", False),
    ("{request_type: none}", True),
    ("{request_type: [hardware]}", False),
    ("{team: hardware}", True),
    ("{team: [none, billing]}", False),
    ("{assignee: none}", True),
    ("{assignee: alice@example.com}", False),
    ("{author_role: customer}", True),
    ("{author_role: [agent, system]}", False),
    ("{sender: carl@mail.customer.example}", True),
    ("{sender: other@customer.example}", False),
    ("{sender_domain: customer.example}", True),  # subdomain matches
    ("{sender_domain: mail.customer.example}", True),
    ("{sender_domain: stomer.example}", False),  # not a suffix on a dot boundary
    ("{subject_contains: urgent}", True),
    ("{subject_contains: [invoice, FIRE]}", True),
    ("{body_contains: refund}", False),
    ("{subject_matches: '^urgent:'}", True),
    ("{body_matches: 'order\\s+#\\d+'}", True),
    ("{body_matches: '^regards$'}", False),  # no multiline flag: ^ is the start
    ("{has_attachment: true}", True),
    ("{has_attachment: false}", False),
    ("{customer_language: pt}", True),  # language matches its regional variants
    ("{customer_language: pt-br}", True),
    ("{customer_language: [de, none]}", False),
    ("{tags: [vip, other]}", True),
    ("{tags: other}", False),
    ("{has_link: duplicated_by}", True),
    ("{has_link: [duplicate_of, related]}", False),
    ("{sla_paused: false}", True),
    ("{ticket_age: {more_than: 3d}}", True),  # inclusive
    ("{ticket_age: {less_than: 3d}}", False),  # exclusive
    ("{time_in_status: {more_than: 4h, less_than: 6h}}", True),
    ("{time_in_status: {more_than: 1d}}", False),
    ("{time_since_customer_message: {more_than: 30m}}", True),
    ("{time_since_customer_message: {more_than: 1h}}", False),
    ("{caused_by_rule: none}", True),
])
def test_condition(condition: str, expected: bool) -> None:
    assert holds(condition) is expected


def test_no_customer_message_yet_never_counts_as_long_ago() -> None:
    silent = replace(TICKET, last_customer_message_at=None)
    assert not holds("{time_since_customer_message: {more_than: 1m}}", silent)


def test_unknown_language_matches_only_none() -> None:
    unknown = replace(TICKET, requester_language=None)
    assert holds("{customer_language: none}", unknown)
    assert not holds("{customer_language: en}", unknown)


def test_assignee_compares_addresses_case_insensitively() -> None:
    assert holds("{assignee: alice@example.com}", replace(TICKET, assignee="Alice@Example.COM"))


def test_business_hours_asks_the_context_about_now() -> None:
    asked: list[datetime] = []

    def closed(at: datetime) -> bool:
        asked.append(at)
        return False

    assert holds("{business_hours: true}")  # default calendar: always open
    assert not holds("{business_hours: true}", context=RuleContext(is_business_hours=closed))
    assert holds("{business_hours: false}", context=RuleContext(is_business_hours=closed))
    assert asked == [NOW, NOW]


def test_changed_from_and_to_read_the_event() -> None:
    change = EventFacts("status.changed", author_role="agent", old="new", new="resolved")
    assert holds("{changed_from: new, changed_to: resolved}", event=change)
    assert not holds("{changed_to: closed}", event=change)


@pytest.mark.parametrize(("condition", "expected"), [
    ("{any: [{status: resolved}, {tags: vip}]}", True),
    ("{any: [{status: resolved}, {tags: none-such}]}", False),
    ("{not: {status: resolved}}", True),
    ("{not: {status: new, tags: vip}}", False),  # not (all of them)
    ("{not: {status: new, tags: other}}", True),
    ("{any: [{not: {status: new}}, {any: [{priority: low}, {team: hardware}]}]}", True),
    ("[{status: new}, {status: [new, triage]}]", True),  # a list repeats a condition
])
def test_grouping(condition: str, expected: bool) -> None:
    assert holds(condition) is expected


def test_explain_names_the_first_failing_condition_in_words() -> None:
    rules = parse_rules(
        "rules:\n"
        "  - name: waiting\n    on: message.received\n"
        "    if: {author_role: customer, status: waiting_for_customer}\n"
        "    then: [set_status: in_progress]\n"
        "  - name: old\n    on: message.received\n"
        "    if: {time_in_status: {more_than: 7d}}\n    then: [add_note: x]\n"
        "  - name: calm\n    on: message.received\n"
        "    if: {not: {subject_contains: urgent}}\n    then: [add_note: x]\n"
        "  - name: either\n    on: message.received\n"
        "    if: {any: [{priority: high}, {tags: gold}]}\n    then: [add_note: x]\n"
    )
    reasons = {e.rule: e.reason for e in explain(rules, MAIL, TICKET, NOW, RuleContext())}
    assert reasons["waiting"] == "status is 'new', rule wants one of ['waiting_for_customer']"
    assert reasons["old"] == "time in status is 5h, rule wants more than 7d"
    assert reasons["calm"].startswith("`not:` subject is 'URGENT: printer on fire'")
    assert reasons["either"] == (
        "none of the `any:` alternatives holds: priority is 'normal', rule wants one of "
        "['high'] | tags are ['vip'], rule wants one of ['gold']")


def test_says_solved_reads_the_event_and_is_validated() -> None:
    read: list[str] = []

    def reader(text: str) -> bool:
        read.append(text)
        return True

    assert holds("{says_solved: true}", event=replace(MAIL, solved_reader=reader))
    assert read == [MAIL.body]  # the event's new text, read when a rule asks
    assert not holds("{says_solved: true}")  # nothing to read with: not a customer's mail
    assert holds("{says_solved: false}")
    with pytest.raises(RuleError, match=r"automation\.yaml:4: expected true or false"):
        holds("{says_solved: maybe}")


def test_possible_duplicate_holds_for_a_ticket_intake_linked_as_one() -> None:
    flagged = replace(TICKET, links=(("possible_duplicate_of", 4),))
    assert holds("{possible_duplicate: true}", flagged)
    assert not holds("{possible_duplicate: false}", flagged)
    assert not holds("{possible_duplicate: true}",
                     replace(TICKET, links=(("possibly_duplicated_by", 4),)))


def test_possible_duplicate_takes_true_or_false_only() -> None:
    from postdesk.errors import RuleError

    with pytest.raises(RuleError, match=":4: expected true or false"):
        parse_rules("rules:\n  - name: r\n    on: ticket.created\n"
                    "    if: {possible_duplicate: maybe}\n    then: [add_note: seen]\n")
