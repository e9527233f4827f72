"""Automation files -> a validated RuleSet; a broken file rejects the whole set.

Postdesk reads `rules/automation.yaml`, then every `rules/automation.d/*.yaml`
in name order. Each file holds a list of rules:

    rules:
      - name: customer-replied-resumes-work   # unique; recorded on every change
        description: optional words for humans
        on: message.received                  # one event or a list of them
        if:                                   # optional; all must hold
          author_role: customer
          status: waiting_for_customer
        then:                                 # actions, in order
          - set_status: in_progress
          - resume_sla
        stop: false                           # true: later rules skip this event
        enabled: true                         # false: kept in the file, never run

Events: ticket.created, message.received, status.changed, priority.changed,
assignee.changed, sla.warning, sla.breached, schedule. Conditions are listed in
`postdesk.automation.conditions` and `.timeconditions`, actions in
`postdesk.automation.actions`, how values are written in `.params`.
Every name and parameter is checked when the file is loaded; the first problem
raises RuleError `rules/automation.yaml:14: unknown action 'set_stauts' (did you
mean 'set_status'?)` and the caller keeps its last good rule set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from postdesk.automation import (
    digest_action,  # noqa: F401  (registers send_queue_digest)
    report_action,  # noqa: F401  (registers send_report)
    timeconditions,  # noqa: F401  (registers its conditions)
)
from postdesk.automation.actions import ACTIONS
from postdesk.automation.conditions import CONDITIONS
from postdesk.automation.model import EVENT_KINDS, Vocabulary
from postdesk.automation.registry import bind
from postdesk.automation.ruleset import (
    ActionCall,
    AllOf,
    AnyOf,
    Check,
    Condition,
    NotOf,
    Rule,
    RuleSet,
)
from postdesk.config.rulesfile import Node, YamlDocument, load_yaml, parse_yaml, suggest

MAIN_FILE = "automation.yaml"
EXTRA_DIR = "automation.d"
_RULE_KEYS = ("name", "description", "on", "if", "then", "stop", "enabled")
_RULE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def automation_files(rules_dir: Path) -> list[Path]:
    """The files `load_rules` reads, in order (absent ones left out)."""
    main = rules_dir / MAIN_FILE
    extra = rules_dir / EXTRA_DIR
    found = [main] if main.is_file() else []
    if extra.is_dir():
        found += sorted(p for p in extra.iterdir() if p.suffix in (".yaml", ".yml"))
    return found


def load_rules(rules_dir: Path, vocabulary: Vocabulary | None = None, *,
               display_root: str | None = None) -> RuleSet:
    """Load every automation file under `rules_dir`; errors name `rules/<file>:<line>`."""
    root = display_root if display_root is not None else rules_dir.name
    documents = [
        load_yaml(path, display=f"{root}/{path.relative_to(rules_dir).as_posix()}")
        for path in automation_files(rules_dir)
    ]
    return build_rules(documents, vocabulary or Vocabulary())


def parse_rules(text: str, display: str = "rules/automation.yaml",
                vocabulary: Vocabulary | None = None) -> RuleSet:
    """One file's text -> RuleSet (for tests and `postdesk rules test`)."""
    return build_rules([parse_yaml(text, display)], vocabulary or Vocabulary())


def build_rules(documents: Iterable[YamlDocument], vocabulary: Vocabulary) -> RuleSet:
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    files: list[str] = []
    for doc in documents:
        files.append(doc.display)
        root = doc.root()
        if root.value is None:
            continue
        root.check_keys(("rules",), required=("rules",))
        rules_node = root.get("rules")
        assert rules_node is not None
        if rules_node.value is None:
            continue
        for item in rules_node.as_list("a list of rules"):
            rule = _rule(item, vocabulary)
            if rule.name in seen:
                raise item.error(f"rule name '{rule.name}' is already used at {seen[rule.name]}")
            seen[rule.name] = rule.where
            if rule.enabled:
                rules.append(rule)
    return RuleSet(tuple(rules), tuple(files))


def _rule(node: Node, vocabulary: Vocabulary) -> Rule:
    node.check_keys(_RULE_KEYS, required=("name", "on", "then"))
    fields = node.as_mapping("a rule (a mapping with name, on, if, then)")
    name = fields["name"].as_str()
    if not _RULE_NAME.fullmatch(name):
        raise fields["name"].error(f"rule name '{name}' may use letters, digits, _ . - only")
    events: set[str] = set()
    for event in fields["on"].as_list(allow_single=True):
        kind = event.as_str("an event name")
        if kind not in EVENT_KINDS:
            raise event.error(f"unknown event '{kind}'{suggest(kind, EVENT_KINDS)}; "
                              f"known: {', '.join(EVENT_KINDS)}")
        events.add(kind)
    if not events:
        raise fields["on"].error("'on' needs at least one event")
    condition = parse_conditions(fields["if"], vocabulary) if "if" in fields else AllOf(())
    then = fields["then"].as_list("a list of actions")
    if not then:
        raise fields["then"].error("'then' needs at least one action")
    actions = tuple(_action(item, vocabulary) for item in then)
    _check_desk_level(actions, events, fields, node)
    return Rule(
        name=name, events=frozenset(events), condition=condition,
        actions=actions,
        stop=fields["stop"].expect(bool) if "stop" in fields else False,
        where=node.where,
        description=fields["description"].as_str() if "description" in fields else "",
        enabled=fields["enabled"].expect(bool) if "enabled" in fields else True,
    )


def _check_desk_level(actions: tuple[ActionCall, ...], events: set[str],
                      fields: dict[str, Node], node: Node) -> None:
    """A desk-level action (send_queue_digest) runs once per schedule scan, not per ticket:
    its rule is `on: schedule` only, has no `if:` and no ticket actions."""
    desk = [a for a in actions if a.definition.desk_level]
    if not desk:
        return
    name = desk[0].definition.name
    if events != {"schedule"}:
        raise fields["on"].error(f"'{name}' runs from the schedule: write `on: schedule`")
    if "if" in fields:
        raise fields["if"].error(f"a rule with '{name}' takes no `if:`; its own `at:` and "
                                 f"`days:` say when it runs")
    if len(desk) != len(actions):
        raise node.error(f"'{name}' is about the desk, not a ticket: put the other actions "
                         f"in a rule of their own")


def parse_conditions(node: Node, vocabulary: Vocabulary) -> AllOf:
    """A mapping of conditions, or a list of such mappings: all must hold (`any:`/`not:`
    group). Public because rules/sla.yaml policies use the same condition language."""
    return AllOf(tuple(_condition(key, child, vocabulary) for key, child in
                       condition_pairs(node)), node.where)


def condition_pairs(node: Node) -> list[tuple[str, Node]]:
    """The (name, value) pairs of an `if:` written as a mapping or a list of mappings."""
    if node.value is None:
        return []
    if isinstance(node.value, list):
        return [pair for item in node.as_list() for pair in
                item.as_mapping("a condition (name: value)").items()]
    return list(node.as_mapping("conditions (a mapping of name: value)").items())


def _condition(key: str, node: Node, vocabulary: Vocabulary) -> Condition:
    if key in ("all", "not"):
        inner = parse_conditions(node, vocabulary)
        return inner if key == "all" else NotOf(inner, node.where)
    if key == "any":
        alternatives = node.as_list("a list of alternatives")
        if not alternatives:
            raise node.error("'any' needs at least one alternative")
        return AnyOf(tuple(parse_conditions(item, vocabulary) for item in alternatives), node.where)
    definition = CONDITIONS.lookup(key, node)
    return Check(definition, bind(definition, node, vocabulary), node.where)


def _action(node: Node, vocabulary: Vocabulary) -> ActionCall:
    if isinstance(node.value, str):
        definition = ACTIONS.lookup(node.value, node)
        value = Node(node.doc, node.path, None)
    else:
        pairs = node.as_mapping("an action (name or name: parameters)")
        if len(pairs) != 1:
            names = list(pairs)
            first = next((n for n in names if n in ACTIONS), names[0] if names else "?")
            raise node.error(
                f"an action is one 'name: parameters' pair, found keys {', '.join(names)}; "
                f"indent the parameters under '{first}'" if names else "empty action")
        key, value = next(iter(pairs.items()))
        definition = ACTIONS.lookup(key, value)
    return ActionCall(definition, bind(definition, value, vocabulary), node.where)
