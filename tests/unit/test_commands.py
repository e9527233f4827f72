"""Agent commands at the top of a reply: what applies, what is refused, what the customer gets."""

from __future__ import annotations

from typing import Any

import pytest

from postdesk.mail.reply import extract_reply
from postdesk.tickets.command_problems import COMMAND_PROBLEMS
from postdesk.tickets.commands import (
    Command,
    ParsedReply,
    check_ticket_references,
    parse_commands,
    referenced_tickets,
)
from postdesk.tickets.statuses import DEFAULT_BOOK, Status, StatusBook
from postdesk.tickets.teams import parse_teams

TEAMS = parse_teams("""\
teams:
  - name: support
    agents:
      - {email: agent.pl@example.com, name: Support PL, language: pl}
      - {email: agent.en@example.com}
  - name: hardware
    agents: [{email: hw@example.com}]
""")
PRIORITIES = ("low", "normal", "high", "urgent")
#: Problem msgids the parser may produce beyond the ones samples.py already has.
NEW_PROBLEMS = {"unknown_request_type", "invalid_tag", "invalid_language", "unexpected_value",
                "conflicting_command", "command_not_at_top", "same_ticket"}


def parse(text: str, **changes: Any) -> ParsedReply:
    options: dict[str, Any] = {
        "statuses": DEFAULT_BOOK, "priorities": PRIORITIES, "teams": TEAMS,
        "request_types": ("hardware", "access"), "languages": ("en", "de", "pl", "pt_BR"),
        "sender": "agent.pl@example.com",
    }
    options.update(changes)
    return parse_commands(text, **options)


def applied(text: str, **changes: Any) -> list[tuple[str, str]]:
    parsed = parse(text, **changes)
    assert parsed.problems == (), parsed.problems
    return [(c.name, c.value) for c in parsed.commands]


def refused(text: str, **changes: Any) -> list[tuple[int, str, dict[str, str]]]:
    parsed = parse(text, **changes)
    assert parsed.problems, "expected a problem"
    assert parsed.public_text == "" and parsed.note_text == ""
    for problem in parsed.problems:
        assert problem.problem_msgid in COMMAND_PROBLEMS or problem.problem_msgid in NEW_PROBLEMS
    return [(p.line, p.problem_msgid, dict(p.params)) for p in parsed.problems]


@pytest.mark.parametrize(("line", "expected"), [
    ("#status resolved", [("status", "resolved")]),
    ("#status waiting_for_customer", [("status", "waiting_for_customer")]),
    ("#status Waiting for customer", [("status", "waiting_for_customer")]),
    ("#resolve", [("status", "resolved")]),
    ("#priority high", [("priority", "high")]),
    ("#assign hardware", [("assign_team", "hardware")]),
    ("#assign team:hardware", [("assign_team", "hardware")]),
    ("#assign agent.en@example.com", [("assign_agent", "agent.en@example.com")]),
    ("#assign <Agent.EN@example.com>", [("assign_agent", "agent.en@example.com")]),
    ("#assign me", [("assign_agent", "agent.pl@example.com")]),
    ("#assign none", [("unassign", "")]),
    ("#tag vip", [("tag_add", "vip")]),
    ("#tag add vip", [("tag_add", "vip")]),
    ("#tag vip, Printer #floor-2", [("tag_add", "vip"), ("tag_add", "printer"),
                                     ("tag_add", "floor-2")]),
    ("#tag remove vip", [("tag_remove", "vip")]),
    ("#untag vip", [("tag_remove", "vip")]),
    ("#link 123", [("link", "123")]),
    ("#link #123, 124", [("link", "123"), ("link", "124")]),
    ("#duplicate 123", [("duplicate_of", "123")]),
    ("#duplicate-of #123", [("duplicate_of", "123")]),
    ("#language pl", [("language", "pl")]),
    ("#lang PT-br", [("language", "pt_BR")]),
    ("#lang de-CH", [("language", "de")]),  # region not offered: the bare language
    ("#requesttype hardware", [("request_type", "hardware")]),
    ("#request-type Access", [("request_type", "access")]),
    ("#requesttype none", [("request_type", "")]),
])
def test_each_command(line: str, expected: list[tuple[str, str]]) -> None:
    assert applied(f"{line}\n\nHello,\nall done.") == expected
    assert parse(f"{line}\n\nHello,\nall done.").public_text == "Hello,\nall done."


def test_commands_are_removed_and_the_rest_is_the_public_text() -> None:
    parsed = parse("#status waiting_for_customer\n#priority high\n\n"
                   "Hello Carl,\n\ncould you send a photo?\n")
    assert parsed.ok and not parsed.internal and not parsed.silent
    assert parsed.public_text == "Hello Carl,\n\ncould you send a photo?"
    assert [(c.line, c.text) for c in parsed.commands] == [
        (1, "#status waiting_for_customer"), (2, "#priority high")]


def test_a_reply_of_commands_only_sends_nothing() -> None:
    parsed = parse("#status resolved\n")
    assert parsed.ok and parsed.commands and parsed.public_text == ""


@pytest.mark.parametrize("text", [
    "#Status Resolved",
    "#STATUS RESOLVED   ",
    "   #status resolved",
    "\t#status resolved.",
    "#status: resolved",
    "#status:resolved",
    "# status resolved",
    "\u00a0#status\u00a0resolved",           # non-breaking spaces from HTML mail
    "\ufeff\u200b#status resolved",          # BOM / zero-width space from phones
    "\u200f#status resolved",                # right-to-left mark (Arabic, Hebrew clients)
    "＃ｓｔａｔｕｓ\u3000ｒｅｓｏｌｖｅｄ",  # full-width from a Japanese or Chinese IME
])
def test_mobile_and_multilingual_quirks(text: str) -> None:
    parsed = parse(f"\n\n{text}\r\nMerci, c'est réglé.\r\n")
    assert [(c.name, c.value) for c in parsed.commands] == [("status", "resolved")]
    assert parsed.problems == ()
    assert parsed.public_text == "Merci, c'est réglé."


def test_quoted_history_never_counts() -> None:
    body = ("Thanks, fixed.\n\nOn Mon, 2 Mar 2026, Carl <carl@customer.example> wrote:\n"
            "> #status resolved\n> #priority urgent\n")
    parsed = parse(body)
    assert parsed.commands == () and parsed.problems == ()
    new_text = extract_reply(f"#priority high\n\n{body}").new_text
    assert applied(new_text) == [("priority", "high")]
    assert parse(new_text).public_text == "Thanks, fixed."


def test_hash_lines_in_the_text_stay_text() -> None:
    parsed = parse("#priority low\nPlease try:\n#1 restart the printer\n# 2 check ticket #123\n"
                   "#hashtag #support")
    assert parsed.ok and [(c.name, c.value) for c in parsed.commands] == [("priority", "low")]
    assert parsed.public_text.startswith("Please try:\n#1 restart")
    assert parse("#1 restart it first\nthen call").commands == ()


def test_a_known_command_below_the_text_is_refused() -> None:
    assert refused("Hello,\nit is fixed now.\n#status resolved") == [
        (3, "command_not_at_top", {"command": "#status"})]
    assert refused("Hi\n\n  #Note") == [(3, "command_not_at_top", {"command": "#note"})]


def test_note_makes_the_whole_reply_internal() -> None:
    parsed = parse("#note\n\nCustomer is angry; call them before Friday.\n")
    assert parsed.ok and parsed.internal and parsed.commands == ()
    assert parsed.public_text == ""
    assert parsed.note_text == "Customer is angry; call them before Friday."


def test_note_with_text_on_its_line_and_other_commands() -> None:
    parsed = parse("#priority urgent\n#Note: Called them, the part ships Monday.\nMore notes.")
    assert parsed.ok and parsed.internal
    assert [(c.name, c.value) for c in parsed.commands] == [("priority", "urgent")]
    assert parsed.public_text == ""
    assert parsed.note_text == "Called them, the part ships Monday.\nMore notes."


def test_public_with_the_answer_on_its_line() -> None:
    """"#public We ordered it" is how an agent answers from a chat triage thread."""
    parsed = parse("#status waiting_for_customer\n#public We ordered the part.\nMore text.")
    assert parsed.ok and parsed.public and not parsed.internal
    assert [(c.name, c.value) for c in parsed.commands] == [
        ("status", "waiting_for_customer")]
    assert parsed.public_text == "We ordered the part.\nMore text."


def test_silent_applies_commands_and_sends_nothing() -> None:
    parsed = parse("#silent\n#status resolved\nClosed after phone call.")
    assert parsed.ok and parsed.silent and not parsed.internal
    assert [(c.name, c.value) for c in parsed.commands] == [("status", "resolved")]
    assert parsed.public_text == ""
    assert parsed.note_text == "Closed after phone call."


@pytest.mark.parametrize(("line", "msgid", "params"), [
    ("#stauts resolved", "unknown_command", {"command": "#stauts"}),
    ("#statut résolu", "unknown_command", {"command": "#statut"}),
    ("#status", "missing_value", {}),
    ("#status done", "unknown_status", {
        "value": "done", "known": ", ".join(DEFAULT_BOOK.names)}),
    ("#priority highest", "unknown_priority", {
        "value": "highest", "known": "low, normal, high, urgent"}),
    ("#priority", "missing_value", {}),
    ("#assign nobody@example.com", "unknown_assignee", {"value": "nobody@example.com"}),
    ("#assign printers", "unknown_assignee", {"value": "printers"}),
    ("#assign", "missing_value", {}),
    ("#tag", "missing_value", {}),
    ("#tag add", "missing_value", {}),
    ("#tag two words!?", "invalid_tag", {"value": "words!?"}),
    ("#untag", "missing_value", {}),
    ("#link abc", "unknown_ticket", {"value": "abc"}),
    ("#link 0", "unknown_ticket", {"value": "0"}),
    ("#duplicate 12 13", "unknown_ticket", {"value": "12 13"}),
    ("#duplicate", "missing_value", {}),
    ("#language klingon", "invalid_language", {"value": "klingon"}),
    ("#language fr", "unknown_language", {"value": "fr", "known": "en, de, pl, pt_BR"}),
    ("#requesttype printers", "unknown_request_type", {
        "value": "printers", "known": "hardware, access"}),
    ("#resolve now", "unexpected_value", {"value": "now"}),
    ("#silent please", "unexpected_value", {"value": "please"}),
])
def test_each_error(line: str, msgid: str, params: dict[str, str]) -> None:
    assert refused(f"{line}\nHello, text for the customer.") == [(1, msgid, params)]


def test_assign_me_without_a_sender_is_refused() -> None:
    assert refused("#assign me", sender=None) == [(1, "unknown_assignee", {"value": "me"})]


def test_resolve_uses_the_desks_closed_status() -> None:
    book = StatusBook((Status("open", "Open", "open"), Status("done", "Done", "closed")))
    assert applied("#resolve", statuses=book) == [("status", "done")]
    assert applied("#status DONE", statuses=book) == [("status", "done")]


def test_any_request_type_when_the_desk_lists_none() -> None:
    assert applied("#requesttype Printers", request_types=None) == [
        ("request_type", "Printers")]
    assert applied("#lang fr", languages=None) == [("language", "fr")]


def test_one_bad_line_applies_nothing_and_lists_every_problem() -> None:
    parsed = parse("#status resolved\n#stauts closed\n#priority high\n#priority highest\n"
                   "#assign hardware\n\nYour printer is fixed.\n")
    assert [(p.line, p.text, p.problem_msgid) for p in parsed.problems] == [
        (2, "#stauts closed", "unknown_command"), (4, "#priority highest", "unknown_priority")]
    assert not parsed.ok
    assert parsed.public_text == ""  # a typo never leaks half a reply
    assert parsed.note_text == ""


def test_contradicting_lines_are_a_problem_and_repeats_are_harmless() -> None:
    assert refused("#status resolved\n#status new") == [
        (2, "conflicting_command", {"first": "#status resolved"})]
    assert refused("#assign hardware\n#assign none") == [
        (2, "conflicting_command", {"first": "#assign hardware"})]
    assert refused("#tag vip\n#untag vip") == [(2, "conflicting_command", {"first": "#tag vip"})]
    assert applied("#status resolved\n#resolve\n#tag vip\n#tag VIP") == [
        ("status", "resolved"), ("tag_add", "vip")]


def test_ticket_references_are_checked_by_the_caller() -> None:
    parsed = parse("#link 7 8\n#duplicate 9\nSee the other tickets.")
    assert referenced_tickets(parsed) == {7, 8, 9}
    checked = check_ticket_references(parsed, ticket_id=8, existing={7, 8})
    assert [(p.line, p.problem_msgid, dict(p.params)) for p in checked.problems] == [
        (1, "same_ticket", {"value": "8"}), (2, "unknown_ticket", {"value": "9"})]
    assert checked.public_text == ""
    assert check_ticket_references(parsed, ticket_id=1, existing={7, 8, 9}) is parsed


def test_problem_params_fill_their_msgid() -> None:
    parsed = parse("#status x\n#priority y\n#assign z\n#link q\n#lang fr")
    for problem in parsed.problems:
        assert "%(" not in COMMAND_PROBLEMS[problem.problem_msgid] % problem.params


def test_command_records_its_line() -> None:
    parsed = parse("\n#tag vip\n\n#status new\ntext")
    assert parsed.commands == (Command("tag_add", "vip", 2, "#tag vip"),
                               Command("status", "new", 4, "#status new"))
