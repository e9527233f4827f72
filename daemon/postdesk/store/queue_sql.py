"""A queue's `if:` and `sort:` as SQL: one WHERE clause and one ORDER BY, never a Python
filter over every ticket.

Each condition maps to indexed ticket columns (status, priority, team, assignee,
request_type, created_at) or to the indexed SLA summary of `ticket_sla`
(`state`, `due_at`, `warn_at`: see `postdesk.store.sla_store`), evaluated at the
moment the queue is looked at. `tags` and `subject_contains` match text
(LIKE), so they narrow what the indexed conditions found; on SQLite
`subject_contains` first asks the trigram index of subjects
(`postdesk.store.subject_index`) when there is one. Text matching is
case-insensitive for every alphabet: ILIKE on PostgreSQL; on SQLite, whose
LIKE folds only ASCII, a needle with other letters goes through a small
SQL function that compares casefolded text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import and_, or_
from typing import Any

import peewee

from postdesk.store import subject_index
from postdesk.store.db import database, is_postgres
from postdesk.store.models import Customer, Ticket
from postdesk.store.sla_store import TicketSla
from postdesk.ticket_queues.model import Group, Queue, Term

Expression = Any  # a peewee expression
_TRUE = peewee.SQL("1 = 1")
_FALSE = peewee.SQL("1 = 0")
_PRIORITY_ORDER = ("urgent", "high", "normal", "low")
CASEFOLD_FUNCTION = "postdesk_casefold_contains"


@dataclass(frozen=True)
class Compiled:
    """The WHERE clause, and which joins it needs: the SLA row (`sla_required`: only
    tickets that have one can match, so an inner join lets the database start from the
    SLA indexes), the requester."""

    where: Expression
    needs_sla: bool
    needs_customer: bool
    sla_required: bool = False

    @property
    def sla_join(self) -> Any:
        return peewee.JOIN.INNER if self.sla_required else peewee.JOIN.LEFT_OUTER


def compile_queue(queue: Queue, now: datetime) -> Compiled:
    required = any(isinstance(part, Term) and part.name == "sla_state"
                   and None not in part.params["values"] for part in queue.condition.parts)
    return Compiled(_group(queue.condition, now), queue.uses("sla_state"),
                    queue.uses("customer_language"), required)


def _group(group: Group, now: datetime) -> Expression:
    parts = [_node(part, now) for part in group.parts]
    if group.kind == "any":
        return reduce(or_, parts) if parts else _FALSE
    joined = reduce(and_, parts) if parts else _TRUE
    return ~joined if group.kind == "not" else joined


def _node(node: Term | Group, now: datetime) -> Expression:
    if isinstance(node, Group):
        return _group(node, now)
    return _COMPILERS[node.name](node.params, now)


def _one_of(column: Any) -> Callable[[Mapping[str, Any], datetime], Expression]:
    """`column IN (...)`, with `none` meaning NULL."""

    def compile_(params: Mapping[str, Any], now: datetime) -> Expression:
        values = sorted(v for v in params["values"] if v is not None)
        parts = [column.in_(values)] if values else []
        if None in params["values"]:
            parts.append(_unselective(column.is_null()))
        return reduce(or_, parts) if parts else _FALSE

    return compile_


def _unselective(test: Expression) -> Expression:
    """Tell SQLite (which has no statistics on a desk) that `none` matches many tickets,
    so that it picks a composite index such as (status, assignee) over (assignee)."""
    return test if is_postgres() else peewee.fn.likelihood(test, peewee.SQL("0.5"))


def _any_of(parts: Iterable[Expression]) -> Expression:
    found = list(parts)
    return reduce(or_, found) if found else _FALSE


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(column: Any, pattern: str, operator: str = "LIKE") -> Expression:
    return peewee.NodeList((column, peewee.SQL(operator), peewee.Value(pattern),
                            peewee.SQL("ESCAPE '\\'")))


def _contains(column: Any, needle: str) -> Expression:
    """Case-insensitive substring test (see the module docstring)."""
    pattern = f"%{_escape(needle)}%"
    if is_postgres():
        return _like(column, pattern, "ILIKE")
    if needle.isascii():
        return _like(column, pattern)
    _register_casefold()
    return peewee.fn.postdesk_casefold_contains(column, needle) == 1


def _register_casefold() -> None:
    # cheap and idempotent; peewee also loads it into every later connection
    target = database.obj
    if isinstance(target, peewee.SqliteDatabase):
        target.register_function(_casefold_contains, CASEFOLD_FUNCTION, 2, deterministic=True)


def _casefold_contains(text: str | None, needle: str) -> int:
    return int(text is not None and needle.casefold() in text.casefold())


def _subject(params: Mapping[str, Any], now: datetime) -> Expression:
    indexed = subject_index.usable(database.obj)
    return _any_of(_subject_contains(word, indexed) for word in params["values"])


def _subject_contains(needle: str, indexed: bool) -> Expression:
    """The exact test, on the rows the subject index finds when it can find them all."""
    exact = _contains(Ticket.subject, needle)
    if indexed and subject_index.indexable(needle):
        return subject_index.found_by_index(Ticket.id, needle) & exact
    return exact


def subject_contains(needle: str) -> Expression:
    """Tickets whose subject contains `needle` in any case (the subject index when usable)."""
    return _subject_contains(needle, subject_index.usable(database.obj))


def tag_is(tag: str) -> Expression:
    """Tickets that carry the lower-case tag `tag`."""
    return _contains(Ticket.tags, f'"{tag}"')


def _tags(params: Mapping[str, Any], now: datetime) -> Expression:
    # tags are stored as a JSON list of lower-case names: match the quoted name
    return _any_of(tag_is(tag) for tag in params["values"])


def _language(params: Mapping[str, Any], now: datetime) -> Expression:
    """`de` also matches de_AT and de-AT, as the automation condition does."""
    parts = []
    for value in params["values"]:
        if value is None:
            parts.append(Customer.language.is_null())
        else:
            parts += [Customer.language == value, _like(Customer.language, f"{value}\\_%"),
                      _like(Customer.language, f"{value}-%")]
    return _any_of(parts)


def _elapsed(column: Any) -> Callable[[Mapping[str, Any], datetime], Expression]:
    """`ticket_age` / `time_in_status`: more_than inclusive, less_than exclusive."""

    def compile_(params: Mapping[str, Any], now: datetime) -> Expression:
        parts = []
        if params["more_than"] is not None:
            parts.append(column <= now - params["more_than"])
        if params["less_than"] is not None:
            parts.append(column > now - params["less_than"])
        return reduce(and_, parts)

    return compile_


def sla_state_is(state: str | None, now: datetime) -> Expression:
    """The ticket's live SLA state at `now`, on the indexed columns."""
    due = TicketSla.due_at <= now
    not_due = TicketSla.due_at.is_null() | (TicketSla.due_at > now)
    match state:
        case None:
            return TicketSla.id.is_null() | TicketSla.state.is_null()
        case "breached":
            return (TicketSla.state == "breached") | due
        case "warning":
            # COALESCE keeps the planner on the warn_at index: most open tickets are 'ok'
            return (peewee.fn.COALESCE(TicketSla.state, "").in_(("ok", "warning")) & not_due
                    & (TicketSla.warn_at <= now))
        case "ok":
            return ((TicketSla.state == "ok") & not_due
                    & (TicketSla.warn_at.is_null() | (TicketSla.warn_at > now)))
        case _:
            return TicketSla.state == state


def _sla_state(params: Mapping[str, Any], now: datetime) -> Expression:
    return _any_of(sla_state_is(state, now) for state in
                   sorted(params["values"], key=lambda s: (s is None, s or "")))


_COMPILERS: dict[str, Callable[[Mapping[str, Any], datetime], Expression]] = {
    "status": _one_of(Ticket.status),
    "priority": _one_of(Ticket.priority),
    "request_type": _one_of(Ticket.request_type),
    "team": _one_of(Ticket.team),
    "assignee": _one_of(Ticket.assignee),
    "ticket": _one_of(Ticket.id),
    "tags": _tags,
    "sla_paused": lambda p, now: Ticket.sla_paused == p["value"],
    "customer_language": _language,
    "subject_contains": _subject,
    "ticket_age": _elapsed(Ticket.created_at),
    "time_in_status": _elapsed(peewee.fn.COALESCE(Ticket.status_changed_at, Ticket.created_at)),
    "sla_state": _sla_state,
}


def order_by(queue: Queue) -> list[Expression]:
    """ORDER BY for the queue's sort keys, ticket number last so pages are stable."""
    found: list[Expression] = []
    for key, descending in queue.sort:
        if key == "sla_due":
            found.append(TicketSla.due_at.desc(nulls="LAST") if descending
                         else TicketSla.due_at.asc(nulls="LAST"))
            continue
        column = {"created": Ticket.created_at, "updated": Ticket.updated_at,
                  "id": Ticket.id, "status": Ticket.status,
                  "priority": peewee.Case(Ticket.priority, [(p, i) for i, p in
                                                            enumerate(_PRIORITY_ORDER)], 9),
                  }[key]
        found.append(column.desc() if descending else column.asc())
    if not any(key == "id" for key, _ in queue.sort):
        found.append(Ticket.id.asc())
    return found
