"""Reading the reports' figures from `ticket_figures` and `ticket_status_change`.

Every read is an index range scan: counts per group walk the grouping's covering
index in order (no sort of a million rows); a percentile is one value at a known
rank, read with an offset into the (group, measure, created) index from the
nearer end; the weekly trend and the distributions are counts of index ranges.
What the figures mean is `postdesk.report`'s business.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from postdesk.store.db import database, is_postgres
from postdesk.store.ticket_figures_sql import (
    CLOCK_COLUMNS,
    GROUPS,
    INDEXED_GROUPS,
    MEASURES,
    OUTCOME_FLAGS,
    OUTCOME_STATES,
    STATE_BASE,
)


@dataclass
class GroupCounts:
    """The tickets created in the period of one group (`sla`: those with clocks)."""

    created: int = 0
    sla: int = 0
    self_served: int = 0  # of those with clocks
    measured: dict[str, int] = field(default_factory=dict)  # column -> how many values
    states: dict[tuple[str, str], int] = field(default_factory=dict)  # (clock, state) -> n


def group_counts(by: str, since: datetime | None, until: datetime | None
                 ) -> dict[str, GroupCounts]:
    """Per group ('' = none) of the tickets created in [since, until)."""
    return group_and_agent_counts(by, since, until)[0]


def group_and_agent_counts(by: str, since: datetime | None, until: datetime | None
                           ) -> tuple[dict[str, GroupCounts], dict[str, GroupCounts]]:
    """Per group and per agent of the tickets created in [since, until): one walk of the
    (group, agent, outcome, created) index, each pair's outcomes counted, then unpacked
    and added up both ways (a ticket has one group and one agent)."""
    where, params = period_filter(since, until, "created_at")
    groups: dict[str, GroupCounts] = {}
    agents: dict[str, GroupCounts] = {}
    for group, agent, outcome, n in rows_of(
            f'SELECT {_group(by)}, agent, outcome, COUNT(*) FROM "ticket_figures" '
            f"WHERE {where} GROUP BY {_pair(by)}, outcome", params):
        _add_outcome(groups.setdefault(str(group), GroupCounts()), int(outcome), int(n))
        _add_outcome(agents.setdefault(str(agent), GroupCounts()), int(outcome), int(n))
    return groups, agents


def _pair(by: str) -> str:
    """The group and the agent, the order of the grouping's indexes."""
    return "agent" if by == "agent" else f"{_group(by)}, agent"


def _add_outcome(counts: GroupCounts, outcome: int, n: int) -> None:
    """Count `n` tickets of one `outcome` (`ticket_figures_sql.OUTCOME_FLAGS`)."""
    flags = {flag: outcome >> bit & 1 for bit, flag in enumerate(OUTCOME_FLAGS)}
    counts.created += n
    counts.sla += n * flags["sla"]
    counts.self_served += n * flags["sla"] * flags["self_served"]
    for measure in MEASURES:
        counts.measured[measure] = counts.measured.get(measure, 0) + n * flags[measure]
    states = outcome // STATE_BASE
    for clock in CLOCK_COLUMNS:
        states, index = divmod(states, 5)
        if index and flags["sla"]:
            key = (clock, OUTCOME_STATES[index - 1])
            counts.states[key] = counts.states.get(key, 0) + n


def other_clock_counts(by: str, since: datetime | None, until: datetime | None
                       ) -> list[tuple[str, str, str, int]]:
    """(group, clock, state, n) of the clocks without a column (the OLA clocks)."""
    column = _group(by)
    where, params = period_filter(since, until, "f.created_at")
    return [(str(g), str(c), str(s), int(n)) for g, c, s, n in rows_of(
        # CROSS JOIN: SQLite takes the (small) clock table first, as written
        f"SELECT f.{column}, c.clock, c.state, COUNT(*) FROM \"ticket_figure_clock\" c "
        f'CROSS JOIN "ticket_figures" f WHERE f.ticket_id = c.ticket_id AND {where} '
        f"GROUP BY f.{column}, c.clock, c.state", params)]


def value_at_rank(measure: str, by: str | None, group: str, count: int, rank: int,
                  since: datetime | None, until: datetime | None) -> int:
    """The `rank`-th smallest (1-based) of the `count` values of column `measure` of the
    tickets of `group` (by None: of all) created in [since, until)."""
    where, params = period_filter(since, until, "created_at")
    marker = "%s" if is_postgres() else "?"
    if by is not None:
        where = f"{_group(by)} = {marker} AND {where}"
        params = [group, *params]
    ascending = rank - 1 <= count - rank
    order, offset = ("ASC", rank - 1) if ascending else ("DESC", count - rank)
    table = _figures_by(f"{by}_{measure}" if by in INDEXED_GROUPS else measure)
    row = rows_of(f"SELECT {measure} FROM {table} WHERE {measure} IS NOT NULL "
                  f"AND {where} ORDER BY {measure} {order} LIMIT 1 OFFSET {int(offset)}",
                  params)
    return int(row[0][0])


def range_count(measure: str, low: int | None, high: int | None,
                since: datetime | None, until: datetime | None) -> int:
    """How many tickets created in [since, until) have `measure` in [low, high)."""
    where, params = period_filter(since, until, "created_at")
    bounds = [f"{measure} IS NOT NULL"]
    if low is not None:
        bounds.append(f"{measure} >= {int(low)}")
    if high is not None:
        bounds.append(f"{measure} < {int(high)}")
    return int(rows_of(f"SELECT COUNT(*) FROM {_figures_by(measure)} "
                       f"WHERE {' AND '.join(bounds)} AND {where}", params)[0][0])


def _figures_by(index: str) -> str:
    """The figures table read through `ticket_figures_<index>` (by, measure, created):
    with a period, SQLite's planner would rather take the created_at index and sort the
    period's rows (about 10 s of CPU for a month of a million tickets, against
    milliseconds). PostgreSQL chooses well by itself."""
    if is_postgres():
        return '"ticket_figures"'
    return f'"ticket_figures" INDEXED BY "ticket_figures_{index}"'



def status_counts(by: str, since: datetime | None, until: datetime | None,
                  closed: Sequence[str]
                  ) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """Per group and per agent with a status change in [since, until): how many tickets
    entered a closed status (resolved) and how many left one (reopened) in it. Counted
    per (group, agent) in one walk of an index in that order; the sums are exact, as
    each ticket's changes carry its one group and agent."""
    where, params = period_filter(since, until, "at")
    groups: dict[str, tuple[int, int]] = {}
    agents: dict[str, tuple[int, int]] = {}
    for group, agent, resolved, reopened in rows_of(
            f"SELECT {_group(by)}, agent, {_distinct_tickets(entering(closed))}, "
            f"{_distinct_tickets(leaving(closed))} FROM \"ticket_status_change\" "
            f"WHERE {where} GROUP BY {_pair(by)}", params):
        for found, key in ((groups, str(group)), (agents, str(agent))):
            before = found.get(key, (0, 0))
            found[key] = (before[0] + int(resolved), before[1] + int(reopened))
    return groups, agents


def weekly_counts(since: datetime | None, until: datetime | None, closed: Sequence[str]
                  ) -> list[tuple[str, int, int]]:
    """(Monday, created, resolved) per week (UTC) from the first to the last that has
    a ticket created or resolved in [since, until)."""
    created = _per_week('"ticket_figures"', "created_at", "COUNT(*)", "1 = 1", since, until)
    resolved = _per_week('"ticket_status_change"', "at", "COUNT(DISTINCT ticket_id)",
                         entering(closed), since, until)
    weeks = sorted(set(created) | set(resolved))
    return [(week, created.get(week, 0), resolved.get(week, 0)) for week in weeks]


def _per_week(table: str, column: str, counted: str, condition: str,
              since: datetime | None, until: datetime | None) -> dict[str, int]:
    where, params = period_filter(since, until, column)
    # two statements: SQLite reads a lone MIN or MAX from the end of an index
    first, last = (rows_of(f"SELECT {edge}({column}) FROM {table} "
                           f"WHERE {condition} AND {where}", params)[0][0]
                   for edge in ("MIN", "MAX"))
    if first is None:
        return {}
    monday = _monday(_moment(first))
    found = {}
    while monday <= _moment(last):
        following = monday + timedelta(weeks=1)
        week_where, week_params = period_filter(max(monday, since) if since else monday,
                                                min(following, until) if until else following,
                                                column)
        count = int(rows_of(f"SELECT {counted} FROM {table} WHERE {condition} "
                            f"AND {week_where}", week_params)[0][0])
        if count:
            found[monday.date().isoformat()] = count
        monday = following
    return found


def _moment(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _monday(moment: datetime) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _group(by: str) -> str:
    if by not in GROUPS:
        raise ValueError(f"cannot group by {by!r}; use one of {', '.join(GROUPS)}")
    return by


def _in(statuses: Sequence[str]) -> str:
    return "(" + ", ".join("'" + name.replace("'", "''") + "'" for name in statuses) + ")" \
        if statuses else "('')"


def entering(closed: Sequence[str]) -> str:
    return f"new IN {_in(closed)} AND old NOT IN {_in(closed)}"


def leaving(closed: Sequence[str]) -> str:
    return f"old IN {_in(closed)} AND new NOT IN {_in(closed)}"


def _distinct_tickets(condition: str) -> str:
    return f"COUNT(DISTINCT CASE WHEN {condition} THEN ticket_id END)"


def period_filter(since: datetime | None, until: datetime | None,
                  column: str = "t.created_at") -> tuple[str, list[Any]]:
    """`column` in [since, until) as an SQL condition and its parameters."""
    marker = "%s" if is_postgres() else "?"
    parts, params = ["1 = 1"], []
    for moment, test in ((since, ">="), (until, "<")):
        if moment is not None:
            parts.append(f"{column} {test} {marker}")
            params.append(_stored(moment))
    return " AND ".join(parts), params


def _stored(moment: datetime) -> Any:
    """A moment as the tables store it: naive UTC (text on SQLite, like peewee)."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive if is_postgres() else naive.isoformat(sep=" ")


def rows_of(sql: str, params: Iterable[Any]) -> list[tuple[Any, ...]]:
    return list(database.execute_sql(sql, list(params)).fetchall())
