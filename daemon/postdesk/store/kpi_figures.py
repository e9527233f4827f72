"""The KPI report's own figures, counted by the database (the SLA part is `sla_figures`).

* tickets created per group (by `ticket.created_at` in the period);
* tickets resolved and reopened per group: `status.changed` events in the period
  that enter a closed status from another kind (resolved) or leave one (reopened),
  each ticket counted once per group and figure;
* the acknowledgment time of each ticket created in the period: the wall-clock
  seconds from its creation to the first thing a person other than the requester
  did on it (a reply, a note, a status change or an assignment; not a rule, not the
  system, not a customer's mail);
* per week (Monday, UTC) how many tickets were created and resolved, for the trend.

Grouping expressions are `sla_figures.GROUP_COLUMNS`'s, so the two parts of the
report group alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from postdesk.store.db import is_postgres
from postdesk.store.sla_figures import GROUP_COLUMNS, period_filter, rows_of

#: Events that are not a person touching the ticket (the requester's own or the system's).
_NOT_A_TOUCH = ("ticket.created", "message.received", "rules.snapshot",
                "customer.language_changed")


@dataclass(frozen=True)
class KpiFigures:
    counts: dict[str, tuple[int, int, int]]  # group ('' = none) -> created, resolved, reopened
    acknowledgments: list[tuple[str, int]]  # (group, seconds) per acknowledged ticket
    weeks: list[tuple[str, int, int]]  # (Monday YYYY-MM-DD, created, resolved)


def kpi_figures(by: str, since: datetime | None, until: datetime | None,
                closed: Sequence[str], *, weeks: bool = True) -> KpiFigures:
    """The figures of tickets (created, resolved, reopened) in [since, until), grouped
    `by` a key of GROUP_COLUMNS; `closed` are the desk's statuses of kind closed.
    `weeks=False`: without the weekly trend (the same for every grouping)."""
    if by not in GROUP_COLUMNS:
        raise ValueError(f"cannot group by {by!r}; use one of {', '.join(GROUP_COLUMNS)}")
    group = f"COALESCE({GROUP_COLUMNS[by]}, '')"
    created_where, created_params = period_filter(since, until)
    event_where, event_params = period_filter(since, until, "e.created_at")
    created = {str(g): int(n) for g, n in rows_of(
        f'SELECT {group}, COUNT(*) FROM "ticket" t WHERE {created_where} GROUP BY 1',
        created_params)}
    changes = {str(g): (int(r), int(o)) for g, r, o in rows_of(
        f"SELECT {group}, {_distinct_tickets(_entering(closed))}, "
        f"{_distinct_tickets(_leaving(closed))} "
        f'FROM "event" e JOIN "ticket" t ON t.id = e.ticket_id '
        f"WHERE e.kind = 'status.changed' AND {event_where} GROUP BY 1", event_params)}
    counts = {g: (created.get(g, 0), *changes.get(g, (0, 0)))
              for g in sorted(set(created) | set(changes))}
    acknowledgments = [(str(g), max(0, int(s))) for g, s in rows_of(
        _acknowledgment_sql(group, created_where), created_params)]
    return KpiFigures(counts, acknowledgments,
                      _weeks(closed, created_where, created_params, event_where, event_params)
                      if weeks else [])


def _data(field: str) -> str:
    if is_postgres():
        return f"(e.data::jsonb ->> '{field}')"
    return f"json_extract(e.data, '$.{field}')"


def _in(closed: Sequence[str]) -> str:
    return "(" + ", ".join("'" + name.replace("'", "''") + "'" for name in closed) + ")" \
        if closed else "('')"


def _entering(closed: Sequence[str]) -> str:
    return f"{_data('new')} IN {_in(closed)} AND {_data('old')} NOT IN {_in(closed)}"


def _leaving(closed: Sequence[str]) -> str:
    return f"{_data('old')} IN {_in(closed)} AND {_data('new')} NOT IN {_in(closed)}"


def _distinct_tickets(condition: str) -> str:
    return f"COUNT(DISTINCT CASE WHEN {condition} THEN e.ticket_id END)"


def _seconds_between(start: str, end: str) -> str:
    if is_postgres():
        return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS BIGINT)"
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400) AS INTEGER)"


def _has_at(column: str) -> str:
    """A person's address (not `system`); no `%` in the SQL, which psycopg would read."""
    return f"{'strpos' if is_postgres() else 'instr'}({column}, '@') > 0"


def _acknowledgment_sql(group: str, where: str) -> str:
    """(group, seconds) per ticket created in the period that a person touched: one
    grouped pass over the period's tickets and their events (not a lookup per ticket)."""
    skipped = ", ".join(f"'{kind}'" for kind in _NOT_A_TOUCH)
    return (f"SELECT grp, {_seconds_between('created', 'touched')} FROM ("
            f"SELECT {group} AS grp, t.created_at AS created, MIN(e.created_at) AS touched "
            'FROM "ticket" t JOIN "customer" c ON c.id = t.requester_id '
            'JOIN "event" e ON e.ticket_id = t.id '
            f"WHERE {where} AND e.rule IS NULL AND {_has_at('e.actor')} "
            f"AND e.actor <> c.email AND e.kind NOT IN ({skipped}) "
            "GROUP BY t.id, t.created_at, grp) a")


def _week(column: str) -> str:
    if is_postgres():
        return f"to_char(date_trunc('week', {column}), 'YYYY-MM-DD')"
    return f"date({column}, 'weekday 0', '-6 days')"


def _weeks(closed: Sequence[str], created_where: str, created_params: list[object],
           event_where: str, event_params: list[object]) -> list[tuple[str, int, int]]:
    created = {str(w): int(n) for w, n in rows_of(
        f'SELECT {_week("t.created_at")}, COUNT(*) FROM "ticket" t WHERE {created_where} '
        "GROUP BY 1", created_params)}
    resolved = {str(w): int(n) for w, n in rows_of(
        f"SELECT {_week('e.created_at')}, {_distinct_tickets(_entering(closed))} "
        f"FROM \"event\" e WHERE e.kind = 'status.changed' AND {event_where} GROUP BY 1",
        event_params)}
    return [(week, created.get(week, 0), resolved.get(week, 0))
            for week in sorted(set(created) | set(resolved))]
