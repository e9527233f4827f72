"""Queues as loaded from rules/queues.yaml: plain frozen data, no database.

A queue's `if:` is a tree of `Term`s (one condition with its checked
parameters) grouped by `Group`s (all / any / not), compiled to one SQL WHERE
clause by `postdesk.store.queue_sql`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from postdesk.config.localized_text import NO_TEXT, LocalizedText

#: What a queue shows when its file names no columns.
DEFAULT_COLUMNS = ("id", "subject", "requester", "status", "priority", "assignee", "sla_due")
COLUMNS = ("id", "subject", "requester", "status", "public_status", "priority", "assignee",
           "team", "request_type", "tags", "sla_due", "created", "updated")
#: Sort keys; `-key` sorts descending.
SORT_KEYS = ("sla_due", "created", "updated", "priority", "id", "status")
DEFAULT_SORT = (("sla_due", False), ("created", False))
DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class Term:
    """One condition: its name and checked parameters (as the automation registry binds
    them, or as the queue-only conditions parse them)."""

    name: str
    params: Mapping[str, Any]
    where: str = ""


@dataclass(frozen=True)
class Group:
    """`all` (every part holds), `any` (one part holds) or `not` (the parts do not all hold)."""

    kind: str
    parts: tuple[Term | Group, ...]
    where: str = ""


@dataclass(frozen=True)
class Queue:
    name: str
    condition: Group
    titles: LocalizedText = NO_TEXT
    sort: tuple[tuple[str, bool], ...] = DEFAULT_SORT  # (key, descending)
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    limit: int = DEFAULT_LIMIT
    where: str = ""

    def title(self, language: str | None = None, default_language: str = "en") -> str:
        """The title in `language` (pt_BR falls back to pt), else the desk's language,
        English, any title given, and last the queue's name."""
        if not self.titles:
            return self.name
        return self.titles.in_language([lang for lang in (language, default_language) if lang])

    def uses(self, name: str) -> bool:
        """Whether a condition called `name` appears anywhere in the queue's `if:`."""
        return _uses(self.condition, name)


def _uses(node: Term | Group, name: str) -> bool:
    if isinstance(node, Term):
        return node.name == name
    return any(_uses(part, name) for part in node.parts)


@dataclass(frozen=True)
class QueueBook:
    queues: tuple[Queue, ...] = ()
    display: str = "rules/queues.yaml"

    def get(self, name: str) -> Queue | None:
        return next((q for q in self.queues if q.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(q.name for q in self.queues)


NO_QUEUES = QueueBook()
