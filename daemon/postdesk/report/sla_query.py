"""The SLA report's figures, aggregated by the database from the stored clocks.

Every figure comes from `ticket_sla.clocks` (the JSON of each ticket's
clocks, kept current by the worker and the scheduler's scan) joined with
`ticket` for the grouping and the period. Nothing is recomputed per ticket
in Python: counting uses the JSON functions of the engine (SQLite's json1,
PostgreSQL's json), percentiles a window function (nearest rank, the same
formula as `sla_summary.nearest_rank`), the distribution a CASE. A report
over a million tickets is a few passes of the database, not a million
clock replays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from postdesk.db import database, is_postgres
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

_GROUP_COLUMN = {"team": "t.team", "agent": "t.assignee", "request_type": "t.request_type",
                 "priority": "t.priority"}


@dataclass(frozen=True)
class _Dialect:
    """How one engine reads the clocks JSON."""

    each_clock: str  # FROM item yielding (key, value) per clock
    state: str  # of that clock
    postgres: bool

    def field(self, measure: str, name: str) -> str:
        """A field of one named clock, as text (`elapsed_s` as an integer)."""
        assert measure in MEASURES  # a fixed name, never user input
        if self.postgres:
            text = f"(s.clocks::json -> '{measure}' ->> '{name}')"
            return f"{text}::bigint" if name == "elapsed_s" else text
        return f"json_extract(s.clocks, '$.{measure}.{name}')"


_SQLITE = _Dialect("json_each(s.clocks) AS c", "json_extract(c.value, '$.state')", False)
_POSTGRES = _Dialect("json_each(s.clocks::json) AS c", "(c.value ->> 'state')", True)


def sla_report(by: str, since: datetime | None, until: datetime | None,
               generated_at: datetime) -> SlaReport:
    """The report of tickets created in [since, until), grouped `by` (see sla_summary)."""
    if by not in _GROUP_COLUMN:
        raise ValueError(f"cannot group by {by!r}; use one of {', '.join(_GROUP_COLUMN)}")
    dialect = _POSTGRES if is_postgres() else _SQLITE
    group = f"COALESCE({_GROUP_COLUMN[by]}, '')"
    where, params = _period(since, until)
    base = 'FROM "ticket_sla" s JOIN "ticket" t ON t.id = s.ticket_id'
    tickets = {str(g): int(n) for g, n in _rows(
        f"SELECT {group}, COUNT(*) {base} WHERE {where} GROUP BY 1", params)}
    counts = [ClockCount(str(g), str(clock), str(state), int(n)) for g, clock, state, n in _rows(
        f"SELECT {group}, c.key, {dialect.state}, COUNT(*) {base} CROSS JOIN "
        f"{dialect.each_clock} WHERE {where} GROUP BY 1, 2, 3", params)]
    ranked: list[RankedValue] = []
    buckets: list[BucketCount] = []
    for measure in MEASURES:
        met = (f"({dialect.field(measure, 'state')} = 'met' OR "
               f"{dialect.field(measure, 'met_at')} IS NOT NULL)")
        values = (f"{base} WHERE {where} AND {met}", params)
        for grouping in (group, f"'{ALL}'"):
            ranked += _percentiles(measure, grouping, dialect.field(measure, "elapsed_s"),
                                   *values)
        case = " ".join(f"WHEN {dialect.field(measure, 'elapsed_s')} < {edge} THEN {i}"
                        for i, edge in enumerate(BUCKET_EDGES))
        buckets += [BucketCount(measure, int(i), int(n)) for i, n in _rows(
            f"SELECT CASE {case} ELSE {len(BUCKET_EDGES)} END, COUNT(*) {values[0]} "
            f"GROUP BY 1", params)]
    return build_report(by, since, until, generated_at, tickets, counts, ranked, buckets)


def _percentiles(measure: str, group: str, elapsed: str, source: str,
                 params: Sequence[Any]) -> list[RankedValue]:
    ranks = " OR ".join(f"rn = (n * {p} + 99) / 100" for p in PERCENTS)
    sql = (f"WITH v AS (SELECT {group} AS grp, {elapsed} AS value {source}), "
           "r AS (SELECT grp, value, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY value) AS rn,"
           " COUNT(*) OVER (PARTITION BY grp) AS n FROM v) "
           f"SELECT grp, rn, n, value FROM r WHERE {ranks}")
    found: list[RankedValue] = []
    for grp, rank, count, value in _rows(sql, params):
        for percent in PERCENTS:
            if nearest_rank(int(count), percent) == int(rank):
                found.append(RankedValue(str(grp), measure, percent, int(value), int(count)))
    return found


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
