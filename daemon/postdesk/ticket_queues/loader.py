"""rules/queues.yaml -> QueueBook; every problem is `rules/queues.yaml:LINE: ...`.

The `if:` of a queue uses the condition language of the automations (same
names, same values, `any:` / `not:` groups), limited to what a ticket *is*
(a queue lists tickets, it does not react to a mail), plus two conditions
only queues have:

    sla_state: [warning, breached]   # ok | warning | breached | paused | met | none,
                                     # as of the moment the queue is looked at
    ticket: [1042, 1043]             # ticket numbers

Conditions about a mail or an event (sender, body_contains, author_role,
changed_to...) are refused with the list of those a queue may use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from postdesk.automation import params as P
from postdesk.automation.conditions import CONDITIONS
from postdesk.automation.loader import condition_pairs
from postdesk.automation.model import Vocabulary
from postdesk.automation.registry import ParamType, bind
from postdesk.config.localized_text import LocalizedText, titles_of
from postdesk.config.rulesfile import Node, YamlDocument, load_yaml, parse_yaml, suggest
from postdesk.sla.tracking.live import WORST_FIRST
from postdesk.ticket_queues.model import (
    COLUMNS,
    DEFAULT_COLUMNS,
    DEFAULT_LIMIT,
    DEFAULT_SORT,
    SORT_KEYS,
    Group,
    Queue,
    QueueBook,
    Term,
)

QUEUES_FILE = "queues.yaml"
MAX_LIMIT = 5000
#: Automation conditions a queue may use: each becomes SQL on an indexed column or a join.
TICKET_CONDITIONS = ("status", "priority", "request_type", "team", "assignee", "tags",
                     "sla_paused", "customer_language", "subject_contains", "ticket_age",
                     "time_in_status")
QUEUE_CONDITIONS: dict[str, ParamType] = {
    "sla_state": P.one_of(P.choice(lambda v: WORST_FIRST, "an SLA state"), "an SLA state",
                          allow_none=True),
    "ticket": P.one_of(P.ticket_id, "a ticket number"),
}
ALLOWED = (*TICKET_CONDITIONS, *QUEUE_CONDITIONS)
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_QUEUE_KEYS = ("name", "title", "description", "if", "sort", "columns", "limit")


def load_queues(rules_dir: Path, vocabulary: Vocabulary | None = None, *,
                display_root: str = "rules") -> QueueBook:
    """rules/queues.yaml (no file: no queues)."""
    path = rules_dir / QUEUES_FILE
    if not path.exists():
        return QueueBook(display=f"{display_root}/{QUEUES_FILE}")
    return build_queues(load_yaml(path, display=f"{display_root}/{QUEUES_FILE}"),
                        vocabulary or Vocabulary())


def parse_queues(text: str, vocabulary: Vocabulary | None = None,
                 display: str = "rules/queues.yaml") -> QueueBook:
    return build_queues(parse_yaml(text, display), vocabulary or Vocabulary())


def build_queues(doc: YamlDocument, vocabulary: Vocabulary) -> QueueBook:
    root = doc.root()
    if root.value is None:
        return QueueBook(display=doc.display)
    root.check_keys(("queues",), required=("queues",))
    listed = root.get("queues")
    assert listed is not None
    queues: list[Queue] = []
    seen: dict[str, str] = {}
    for item in listed.as_list("a list of queues") if listed.value is not None else []:
        queue = _queue(item, vocabulary)
        if queue.name in seen:
            raise item.error(f"queue name '{queue.name}' is already used at {seen[queue.name]}")
        seen[queue.name] = queue.where
        queues.append(queue)
    return QueueBook(tuple(queues), doc.display)


def _queue(node: Node, vocabulary: Vocabulary) -> Queue:
    node.check_keys(_QUEUE_KEYS, required=("name",))
    fields = node.as_mapping("a queue (a mapping with name, title, if, sort, columns)")
    name = fields["name"].as_str("a queue name")
    if not _NAME.fullmatch(name):
        raise fields["name"].error(f"queue name '{name}' may use lower-case letters, digits "
                                   f"and _ . - (it is typed in `postdesk queue NAME` and "
                                   f"`#queue NAME`)")
    condition = (conditions(fields["if"], vocabulary) if "if" in fields
                 else Group("all", (), node.where))
    return Queue(
        name=name, condition=condition,
        titles=titles_of(fields["title"]) if "title" in fields else LocalizedText(),
        sort=_sort(fields["sort"]) if "sort" in fields else DEFAULT_SORT,
        columns=_columns(fields["columns"]) if "columns" in fields else DEFAULT_COLUMNS,
        limit=_limit(fields["limit"]) if "limit" in fields else DEFAULT_LIMIT,
        where=node.where)


def triage_conditions(vocabulary: Vocabulary) -> Callable[[Node], Queue]:
    """What a chat triage channel's `if:` (rules/channels.yaml) becomes: a queue of the
    tickets it takes, with the conditions of queues."""
    return lambda node: Queue(name="triage", condition=conditions(node, vocabulary),
                              where=node.where)


def conditions(node: Node, vocabulary: Vocabulary) -> Group:
    """A mapping of conditions (or a list of such mappings): all must hold."""
    return Group("all", tuple(_condition(key, child, vocabulary) for key, child in
                              condition_pairs(node)), node.where)


def _condition(key: str, node: Node, vocabulary: Vocabulary) -> Term | Group:
    if key in ("all", "not"):
        inner = conditions(node, vocabulary)
        return inner if key == "all" else Group("not", (inner,), node.where)
    if key == "any":
        alternatives = node.as_list("a list of alternatives")
        if not alternatives:
            raise node.error("'any' needs at least one alternative")
        return Group("any", tuple(conditions(item, vocabulary) for item in alternatives),
                     node.where)
    if key in QUEUE_CONDITIONS:
        if node.value is None:
            raise node.error(f"'{key}' needs a value: {QUEUE_CONDITIONS[key].description}")
        return Term(key, {"values": QUEUE_CONDITIONS[key].parse(node, vocabulary)}, node.where)
    if key in CONDITIONS and key not in TICKET_CONDITIONS:
        raise node.error(f"'{key}' is about a mail or an event; a queue lists tickets and may "
                         f"use: {', '.join(ALLOWED)} (and any, not)")
    if key not in CONDITIONS:
        raise node.error(f"unknown condition '{key}'{suggest(key, ALLOWED)}; a queue may "
                         f"use: {', '.join(ALLOWED)} (and any, not)")
    definition = CONDITIONS.lookup(key, node)
    return Term(key, bind(definition, node, vocabulary), node.where)


def _sort(node: Node) -> tuple[tuple[str, bool], ...]:
    keys: list[tuple[str, bool]] = []
    for item in node.as_list("a list of sort keys", allow_single=True):
        written = item.as_str("a sort key")
        key = written.lstrip("-")
        if key not in SORT_KEYS:
            raise item.error(f"unknown sort key '{key}'{suggest(key, SORT_KEYS)}; known: "
                             f"{', '.join(SORT_KEYS)} (-key: descending)")
        keys.append((key, written.startswith("-")))
    return tuple(keys) or DEFAULT_SORT


def _columns(node: Node) -> tuple[str, ...]:
    found: list[str] = []
    for item in node.as_list("a list of columns", allow_single=True):
        column = item.as_str("a column")
        if column not in COLUMNS:
            raise item.error(f"unknown column '{column}'{suggest(column, COLUMNS)}; known: "
                             f"{', '.join(COLUMNS)}")
        found.append(column)
    if not found:
        raise node.error("'columns' needs at least one column")
    return tuple(found)


def _limit(node: Node) -> int:
    value = node.expect(int, "a whole number")
    if isinstance(value, bool) or not 1 <= value <= MAX_LIMIT:
        raise node.error(f"'limit' must be between 1 and {MAX_LIMIT}, not {value}")
    return int(value)
