"""The SLA report's figures, aggregated by the database from the stored clocks.

Every figure comes from `ticket_sla.clocks` (the JSON of each ticket's
clocks, kept current by the worker and the scheduler's scan) joined with
`ticket` for the grouping and the period. Nothing is recomputed per ticket
in Python: one statement walks each ticket's clocks once with the engine's
JSON functions (SQLite's json1, PostgreSQL's jsonb) into narrow rows
(group, clock, state, business seconds), then counts them, finds the
percentiles with a running sum over how many have each value (nearest rank,
the same formula as `sla_summary.nearest_rank`) and buckets them for the
charts; a second
statement counts the tickets per group. A million tickets cost a pass of
the database, not a million clock replays (`bench/sla_report.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from postdesk.report.sla_summary import (
    ALL,
    BUCKET_EDGES,
    MEASURES,
    PERCENTS,
    BucketCount,
    ClockCount,
    RankedValue,
    SlaReport,
    build_report,
    nearest_rank,
)
from postdesk.store.db import database, is_postgres

_GROUP_COLUMN = {"team": "t.team", "agent": "t.assignee", "request_type": "t.request_type",
                 "priority": "t.priority"}


@dataclass(frozen=True)
class _Dialect:
    """How one engine walks the clocks JSON: one row per (ticket, clock)."""

    each_clock: str  # FROM item yielding (key, value) per clock, the JSON parsed once
    field: str  # a field of that clock's value, `{}` for its name

    def of(self, name: str) -> str:
        return self.field.format(name)


_SQLITE = _Dialect("json_each(s.clocks) AS c", "json_extract(c.value, '$.{}')")
_POSTGRES = _Dialect("jsonb_each(s.clocks::jsonb) AS c", "(c.value ->> '{}')")


def sla_report(by: str, since: datetime | None, until: datetime | None,
               generated_at: datetime) -> SlaReport:
    """The report of tickets created in [since, until), grouped `by` (see sla_summary)."""
    if by not in _GROUP_COLUMN:
        raise ValueError(f"cannot group by {by!r}; use one of {', '.join(_GROUP_COLUMN)}")
    dialect = _POSTGRES if is_postgres() else _SQLITE
    group = f"COALESCE({_GROUP_COLUMN[by]}, '')"
    where, params = _period(since, until)
    base = f'FROM "ticket_sla" s JOIN "ticket" t ON t.id = s.ticket_id WHERE {where}'
    tickets = {str(g): int(n) for g, n in _rows(
        f"SELECT {group}, COUNT(*) {base} GROUP BY 1", params)}
    counts: list[ClockCount] = []
    ranked: list[RankedValue] = []
    buckets: list[BucketCount] = []
    for kind, grp, clock, state, a, b, c, d in _rows(_figures_sql(dialect, group, where),
                                                     params):
        if kind == "count":
            counts.append(ClockCount(str(grp), str(clock), str(state), int(a)))
        elif kind == "bucket":
            buckets.append(BucketCount(str(clock), int(a), int(b)))
        else:  # value c is held by the ranks a+1 .. d of b values
            ranked += [RankedValue(str(grp), str(clock), percent, int(c), int(b))
                       for percent in PERCENTS if int(a) < nearest_rank(int(b), percent) <= int(d)]
    return build_report(by, since, until, generated_at, tickets, counts, ranked, buckets)


def _figures_sql(dialect: _Dialect, group: str, where: str) -> str:
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
    bucket = " ".join(f"WHEN elapsed < {edge} THEN {i}" for i, edge in enumerate(BUCKET_EDGES))
    ranks = " OR ".join(f"(upto - k < (n * {p} + 99) / 100 AND upto >= (n * {p} + 99) / 100)"
                        for p in PERCENTS)
    measures = ", ".join(f"'{m}'" for m in MEASURES)

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
        f"ELSE {len(BUCKET_EDGES)} END AS bucket FROM f "
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
        f"UNION ALL SELECT 'rank', '{ALL}', clock, '', upto - k, n, elapsed, upto FROM rall "
        f"WHERE {ranks} "
        "UNION ALL SELECT 'bucket', '', clock, '', bucket, COUNT(*), 0, 0 FROM m "
        "GROUP BY clock, bucket")


def _period(since: datetime | None, until: datetime | None) -> tuple[str, list[Any]]:
    marker = "%s" if is_postgres() else "?"
    parts, params = ["1 = 1"], []
    for moment, test in ((since, ">="), (until, "<")):
        if moment is not None:
            parts.append(f"t.created_at {test} {marker}")
            params.append(_stored(moment))
    return " AND ".join(parts), params


def _stored(moment: datetime) -> Any:
    """A moment as the ticket table stores it: naive UTC (text on SQLite, like peewee)."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive if is_postgres() else naive.isoformat(sep=" ")


def _rows(sql: str, params: Sequence[Any]) -> Iterable[tuple[Any, ...]]:
    return list(database.execute_sql(sql, list(params)).fetchall())
