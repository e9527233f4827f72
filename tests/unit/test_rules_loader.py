"""Loading automation files: every mistake is refused with file:line and a hint."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from postdesk.automation import Vocabulary, load_rules, parse_rules
from postdesk.automation.actions import ACTIONS
from postdesk.automation.conditions import CONDITIONS
from postdesk.config.rulesfile import parse_yaml
from postdesk.errors import RuleError

GOOD = """\
rules:
  - name: first
    on: message.received
    if:
      status: waiting_for_customer
    then:
      - set_status: in_progress
"""


def error_for(text: str, vocabulary: Vocabulary | None = None) -> str:
    with pytest.raises(RuleError) as error:
        parse_rules(text, "rules/automation.yaml", vocabulary)
    return str(error.value)


def test_unknown_action_names_its_line_and_the_near_miss() -> None:
    text = GOOD.replace("set_status: in_progress", "set_stauts: in_progress")
    assert error_for(text) == (
        "rules/automation.yaml:7: unknown action 'set_stauts' (did you mean 'set_status'?)")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("status: waiting_for_customer", "stauts: new",
     "rules/automation.yaml:5: unknown condition 'stauts' (did you mean 'status'?)"),
    ("on: message.received", "on: message.recieved",
     "rules/automation.yaml:3: unknown event 'message.recieved' (did you mean "
     "'message.received'?); known: ticket.created, message.received, status.changed, "
     "priority.changed, assignee.changed, sla.warning, sla.breached, schedule"),
    ("set_status: in_progress", "set_status: in_progres",
     "rules/automation.yaml:7: unknown status 'in_progres' (did you mean 'in_progress'?); "
     "known: closed, in_progress, new, resolved, triage, waiting_for_customer, "
     "waiting_for_vendor"),
    ("status: waiting_for_customer", "status: [new, done]",
     "rules/automation.yaml:5: unknown status 'done'"),
    ("status: waiting_for_customer", "has_attachment: yes",
     "rules/automation.yaml:5: expected true or false, not a text ('yes')"),
    ("status: waiting_for_customer", "time_in_status: {more_than: 7 days}",
     "rules/automation.yaml:5: '7 days' is not a duration; write it like 7d, 4h, 30m or 1d12h"),
    ("status: waiting_for_customer", "time_in_status: {}",
     "rules/automation.yaml:5: 'time_in_status' needs more_than, less_than or both"),
    ("status: waiting_for_customer", "time_in_status: 7d",
     "rules/automation.yaml:5: 'time_in_status' takes a mapping of parameters "
     "(more_than, less_than), not a single value"),
    ("status: waiting_for_customer", "time_in_status: {mor_than: 7d}",
     "rules/automation.yaml:5: 'time_in_status' has no parameter 'mor_than' (did you mean "
     "'more_than'?)"),
    ("status: waiting_for_customer", "subject_matches: '[unclosed'",
     "rules/automation.yaml:5: invalid regular expression '[unclosed': unterminated "
     "character set at position 0"),
    ("- set_status: in_progress", "- notify: {template: x}",
     "rules/automation.yaml:7: 'notify' needs the parameter 'to'"),
    ("- set_status: in_progress", "- notify: {template: x, to: [team, the-boss]}",
     "rules/automation.yaml:7: unknown recipient 'the-boss'"),
    ("- set_status: in_progress", "- link: {kind: related, ticket: '12'}",
     "rules/automation.yaml:7: expected a ticket number, not a text ('12')"),
    ("- set_status: in_progress", "- set_status",
     "rules/automation.yaml:7: 'set_status' needs a value: a status"),
    ("status: waiting_for_customer", "status:",
     "rules/automation.yaml:5: 'status' needs a value: a status or a list of them"),
    ("status: waiting_for_customer", "any: [{status: new}, {priorty: high}]",
     "rules/automation.yaml:5: unknown condition 'priorty' (did you mean 'priority'?)"),
    ("- set_status: in_progress", "- set_status:\n          status: new\n          extra: 1",
     "rules/automation.yaml:9: 'set_status' has no parameter 'extra'"),
    ("- set_status: in_progress", "- notify:\n        template: x\n        to: team",
     "rules/automation.yaml:7: an action is one 'name: parameters' pair, found keys notify, "
     "template, to; indent the parameters under 'notify'"),
    ("    then:\n      - set_status: in_progress\n", "    then: []\n",
     "rules/automation.yaml:6: 'then' needs at least one action"),
    ("    if:", "    iff:",
     "rules/automation.yaml:4: unknown key 'iff' (did you mean 'if'?)"),
    ("    on: message.received\n", "",
     "rules/automation.yaml:2: item 1 needs the key 'on'"),
    ("name: first", "name: first rule",
     "rules/automation.yaml:2: rule name 'first rule' may use letters, digits, _ . - only"),
    ("rules:", "rule:",
     "rules/automation.yaml:1: unknown key 'rule' (did you mean 'rules'?)"),
])
def test_mistakes_are_refused_with_file_and_line(old: str, new: str, expected: str) -> None:
    text = GOOD.replace(old, new)
    assert text != GOOD
    assert error_for(text).startswith(expected)


def test_registries_refuse_a_second_definition_under_a_known_name() -> None:
    with pytest.raises(ValueError, match="action 'set_status' is already registered"):
        ACTIONS.register(replace(ACTIONS.lookup("set_status", parse_yaml("", "x").root())))
    with pytest.raises(ValueError, match="condition 'any' is already registered"):
        CONDITIONS.register(replace(next(iter(CONDITIONS)), name="any"))


def test_anchors_and_merge_keys_keep_lines() -> None:
    text = GOOD + (
        "  - &base\n    name: second\n    on: schedule\n    then: [add_note: x]\n"
        "  - <<: *base\n    name: third\n    if: {stauts: new}\n")
    assert error_for(text) == (
        "rules/automation.yaml:14: unknown condition 'stauts' (did you mean 'status'?)")


def test_duplicate_rule_names_point_at_both() -> None:
    text = GOOD + GOOD.removeprefix("rules:\n")
    assert error_for(text) == (
        "rules/automation.yaml:8: rule name 'first' is already used at rules/automation.yaml:2")


def test_yaml_errors_carry_file_and_line() -> None:
    assert error_for(GOOD + "  - name: [oops\n").startswith("rules/automation.yaml:9: ")
    duplicate = GOOD.replace("      status: waiting_for_customer\n",
                             "      status: new\n      status: triage\n")
    assert error_for(duplicate).startswith('rules/automation.yaml:6: found duplicate key "status"')


def test_known_teams_and_request_types_are_checked_when_given() -> None:
    text = GOOD.replace("set_status: in_progress", "assign: hardwere")
    assert parse_rules(text).rules[0].actions[0].params["to"] == "hardwere"  # no team list
    vocabulary = Vocabulary(teams=frozenset({"hardware", "billing"}),
                            request_types=frozenset({"access"}))
    assert error_for(text, vocabulary) == (
        "rules/automation.yaml:7: unknown team 'hardwere' (did you mean 'hardware'?); "
        "known: billing, hardware")
    assert error_for(GOOD.replace("status: waiting_for_customer", "request_type: acess"),
                     vocabulary).startswith("rules/automation.yaml:5: unknown request type")


def test_custom_statuses_replace_the_defaults() -> None:
    vocabulary = Vocabulary(statuses=frozenset({"open", "waiting_for_customer", "in_progress"}))
    assert parse_rules(GOOD, vocabulary=vocabulary).rules[0].name == "first"
    assert "unknown status 'new'" in error_for(GOOD.replace("in_progress", "new"), vocabulary)


def test_rules_dir_reads_main_file_then_extra_files_in_order(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    (rules_dir / "automation.d").mkdir(parents=True)
    (rules_dir / "automation.yaml").write_text(GOOD)
    (rules_dir / "automation.d" / "20-b.yaml").write_text(GOOD.replace("first", "third"))
    (rules_dir / "automation.d" / "10-a.yaml").write_text(
        GOOD.replace("first", "second") + "  - name: off\n    on: schedule\n"
        "    enabled: false\n    then: [add_note: x]\n")
    (rules_dir / "routing.yaml").write_text("not: [an automation file\n")
    rules = load_rules(rules_dir)
    assert [rule.name for rule in rules.rules] == ["first", "second", "third"]
    assert rules.files == ("rules/automation.yaml", "rules/automation.d/10-a.yaml",
                           "rules/automation.d/20-b.yaml")
    assert rules.get("second").where == "rules/automation.d/10-a.yaml:2"  # type: ignore[union-attr]
    assert rules.for_event("schedule") == ()


def test_a_broken_file_rejects_the_whole_set(tmp_path: Path) -> None:
    (tmp_path / "automation.d").mkdir()
    (tmp_path / "automation.yaml").write_text(GOOD)
    (tmp_path / "automation.d" / "x.yaml").write_text(GOOD.replace("first", "x").replace(
        "set_status", "set_stauts"))
    with pytest.raises(RuleError, match=r"^rules/automation.d/x.yaml:7: unknown action"):
        load_rules(tmp_path, display_root="rules")


def test_empty_or_missing_files_mean_no_rules(tmp_path: Path) -> None:
    assert load_rules(tmp_path).rules == ()
    (tmp_path / "automation.yaml").write_text("# nothing yet\nrules:\n")
    assert load_rules(tmp_path).rules == ()


def _example(doc: str, key: str) -> str:
    """The indented `key:` block of a module docstring (the admin documentation)."""
    lines = doc.splitlines()
    start = lines.index(f"    {key}:")
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("      "):
            break
        block.append(line)
    return "\n".join(block) + "\n"


def test_the_documented_examples_are_valid_rules() -> None:
    from postdesk.automation import actions, conditions, loader, timeconditions

    assert loader.__doc__ and conditions.__doc__ and timeconditions.__doc__ and actions.__doc__
    start = loader.__doc__.index("    rules:")
    documented = "\n".join(line[4:] for line in loader.__doc__[start:].split("\n\n")[0]
                           .splitlines())
    assert [r.name for r in parse_rules(documented).rules] == ["customer-replied-resumes-work"]
    for module, key in ((conditions, "if"), (timeconditions, "if"), (actions, "then")):
        body = _example(module.__doc__ or "", key)
        text = "rules:\n  - name: doc\n    on: message.received\n" + body
        if key == "if":
            text += "    then: [add_note: x]\n"
        rule = parse_rules(text).rules[0]
        assert len(rule.condition.parts) + len(rule.actions) > 2
