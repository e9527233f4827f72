"""The SLA report's figures, aggregated by the database from the stored clocks.

Every figure comes from `ticket_sla.clocks` (the JSON of each ticket's
clocks, kept current by the worker and the scheduler's scan) joined with
`ticket` for the grouping and the period. Nothing is recomputed per ticket
in Python: one statement walks each ticket's clocks once with the engine's
JSON functions (SQLite's json1, PostgreSQL's jsonb) into narrow rows
(group, clock, state, business seconds), then counts them, finds the
percentiles with a running sum over how many have each value (nearest rank:
the rank of percentile p of n values is ceil(n * p / 100)) and buckets them
for the charts; a second statement counts the tickets per group. A million
tickets cost a pass of the database, not a million clock replays
(`bench/sla_report.py`). What the figures mean is `postdesk.report`'s business.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from postdesk.store.db import database, is_postgres

#: The channel a ticket came in by: the source of its first stored mail (smtp, lmtp,
#: pipe, imap:NAME); none for a ticket an agent opened.
CHANNEL = ('(SELECT i.source FROM "inbound" i WHERE i.ticket_id = t.id '
           "ORDER BY i.id LIMIT 1)")
GROUP_COLUMNS = {"team": "t.team", "agent": "t.assignee", "request_type": "t.request_type",
                 "priority": "t.priority", "channel": CHANNEL}


@dataclass(frozen=True)
class _Dialect:
    """How one engine walks the clocks JSON: one row per (ticket, clock)."""

    each_clock: str  # FROM item yielding (key, value) per clock, the JSON parsed once
    field: str  # a field of that clock's value, `{}` for its name

    def of(self, name: str) -> str:
        return self.field.format(name)


_SQLITE = _Dialect("json_each(s.clocks) AS c", "json_extract(c.value, '$.{}')")
_POSTGRES = _Dialect("jsonb_each(s.clocks::jsonb) AS c", "(c.value ->> '{}')")


@dataclass(frozen=True)
class Figures:
    """What the report measures: the clocks timed (`measures`), the percentiles, the upper
    edges of the distribution's bars, and the name of the line of totals."""

    measures: tuple[str, ...]
    percents: tuple[int, ...]
    bucket_edges: tuple[int, ...]
    all_group: str


FigureRow = tuple[Any, ...]


def sla_figures(by: str, since: datetime | None, until: datetime | None, figures: Figures
                ) -> tuple[dict[str, int], list[FigureRow]]:
    """For tickets created in [since, until), grouped `by` (a key of GROUP_COLUMNS; no
    group: ''): how many tickets each group has, and the figure rows of `_figures_sql`."""
    if by not in GROUP_COLUMNS:
        raise ValueError(f"cannot group by {by!r}; use one of {', '.join(GROUP_COLUMNS)}")
    dialect = _POSTGRES if is_postgres() else _SQLITE
    group = f"COALESCE({GROUP_COLUMNS[by]}, '')"
    where, params = period_filter(since, until)
    base = f'FROM "ticket_sla" s JOIN "ticket" t ON t.id = s.ticket_id WHERE {where}'
    tickets = {str(g): int(n) for g, n in rows_of(
        f"SELECT {group}, COUNT(*) {base} GROUP BY 1", params)}
    return tickets, list(rows_of(_figures_sql(dialect, group, where, figures), params))


def self_served_counts(by: str, since: datetime | None, until: datetime | None
                       ) -> dict[str, int]:
    """Of the tickets created in [since, until) with clocks, how many each group's customers
    solved themselves with a suggested article (a `kb.self_served` event: a deflection)."""
    if by not in GROUP_COLUMNS:
        raise ValueError(f"cannot group by {by!r}; use one of {', '.join(GROUP_COLUMNS)}")
    where, params = period_filter(since, until)
    return {str(g): int(n) for g, n in rows_of(
        f"SELECT COALESCE({GROUP_COLUMNS[by]}, ''), COUNT(*) "
        f'FROM "ticket_sla" s JOIN "ticket" t ON t.id = s.ticket_id WHERE {where} '
        "AND EXISTS (SELECT 1 FROM \"event\" e WHERE e.ticket_id = t.id "
        "AND e.kind = 'kb.self_served') GROUP BY 1", params)}


def _figures_sql(dialect: _Dialect, group: str, where: str, figures: Figures) -> str:
    """One statement, one pass over the JSON: every clock of every ticket in the period
    becomes a narrow row (materialised once); counts and the distribution are read from
    those rows, percentiles from how many have each value (a running sum over the
    distinct values, per group and for all: one sort instead of one per ranking).
    Result rows: ('count', group, clock, state, n, 0, 0, 0), ('bucket', '', clock, '',
    index, n, 0, 0), ('rank', group, clock, '', below, n, value, upto): `value` holds
    ranks below+1 .. upto of the group's n values."""
    elapsed = f"CAST({dialect.of('elapsed_s')} AS BIGINT)"
    done = (f"CASE WHEN {dialect.of('state')} = 'met' OR {dialect.of('met_at')} IS NOT NULL "
            "THEN 1 ELSE 0 END")
    edges = figures.bucket_edges
    bucket = " ".join(f"WHEN elapsed < {int(edge)} THEN {i}" for i, edge in enumerate(edges))
    ranks = " OR ".join(f"(upto - k < (n * {int(p)} + 99) / 100 AND upto >= (n * {int(p)} + 99)"
                        " / 100)" for p in figures.percents)
    measures = ", ".join(_literal(m) for m in figures.measures)
    every = _literal(figures.all_group)

    def running(partition: str, source: str) -> str:
        # integers on both engines (PostgreSQL's SUM of bigint is numeric, which
        # would turn the rank formula's integer division into a fraction)
        return (f"SELECT {partition}, elapsed, k, CAST(SUM(k) OVER (PARTITION BY "
                f"{partition} ORDER BY elapsed ROWS UNBOUNDED PRECEDING) AS BIGINT) AS upto, "
                f"CAST(SUM(k) OVER (PARTITION BY {partition}) AS BIGINT) AS n FROM {source}")

    return (
        f"WITH f AS MATERIALIZED (SELECT {group} AS grp, c.key AS clock, "
        f"{dialect.of('state')} AS state, {elapsed} AS elapsed, {done} AS done "
        f'FROM "ticket_sla" s JOIN "ticket" t ON t.id = s.ticket_id '
        f"CROSS JOIN {dialect.each_clock} WHERE {where}), "
        f"m AS MATERIALIZED (SELECT grp, clock, elapsed, CASE {bucket} "
        f"ELSE {len(edges)} END AS bucket FROM f "
        f"WHERE done = 1 AND clock IN ({measures})), "
        "h AS MATERIALIZED (SELECT clock, grp, elapsed, COUNT(*) AS k FROM m "
        "GROUP BY clock, grp, elapsed), "
        "hall AS (SELECT clock, elapsed, CAST(SUM(k) AS BIGINT) AS k FROM h "
        "GROUP BY clock, elapsed), "
        f"r AS ({running('clock, grp', 'h')}), "
        f"rall AS ({running('clock', 'hall')}) "
        "SELECT 'count', grp, clock, state, COUNT(*), 0, 0, 0 FROM f "
        "GROUP BY grp, clock, state "
        f"UNION ALL SELECT 'rank', grp, clock, '', upto - k, n, elapsed, upto FROM r "
        f"WHERE {ranks} "
        f"UNION ALL SELECT 'rank', {every}, clock, '', upto - k, n, elapsed, upto FROM rall "
        f"WHERE {ranks} "
        "UNION ALL SELECT 'bucket', '', clock, '', bucket, COUNT(*), 0, 0 FROM m "
        "GROUP BY clock, bucket")


def _literal(text: str) -> str:
    """A constant of the report as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


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
    """A moment as the ticket table stores it: naive UTC (text on SQLite, like peewee)."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive if is_postgres() else naive.isoformat(sep=" ")


def rows_of(sql: str, params: Sequence[Any]) -> Iterable[tuple[Any, ...]]:
    return list(database.execute_sql(sql, list(params)).fetchall())
