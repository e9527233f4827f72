"""The SLA report's figures, read from the per-ticket figures (`ticket_figures`).

The worker and the scheduler keep each ticket's clocks in `ticket_sla`; the
database's triggers copy what the report needs of them into `ticket_figures`
(the state of each clock, the business seconds to meeting the measured ones)
in the same transaction. This module reads those rows by index
(`figure_reads`): the counts per group and clock state, the percentiles by
nearest rank (the rank of percentile p of n values is ceil(n * p / 100), one
value read at that rank), the distribution's bars as counts of value ranges.
No JSON is walked and nothing is replayed per ticket (`bench/sla_report.py`,
`bench/kpi_report.py`). What the figures mean is `postdesk.report`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postdesk.store.figure_reads import (
    GroupCounts,
    group_counts,
    other_clock_counts,
    range_count,
    value_at_rank,
)
from postdesk.store.ticket_figures import GROUPS, MEASURE_COLUMNS

#: The groupings (`by`) the figures can be counted by.
GROUP_COLUMNS = GROUPS

@dataclass(frozen=True)
class Figures:
    """What the report measures: the clocks timed (`measures`), the percentiles, the upper
    edges of the distribution's bars, and the name of the line of totals."""

    measures: tuple[str, ...]
    percents: tuple[int, ...]
    bucket_edges: tuple[int, ...]
    all_group: str


FigureRow = tuple[Any, ...]


def sla_figures(by: str, since: datetime | None, until: datetime | None, figures: Figures,
                counts: dict[str, GroupCounts] | None = None
                ) -> tuple[dict[str, int], list[FigureRow]]:
    """For tickets created in [since, until), grouped `by` (a key of GROUP_COLUMNS; no
    group: ''): how many tickets with clocks each group has, and the figure rows:
    ('count', group, clock, state, n, 0, 0, 0), ('bucket', '', clock, '', index, n, 0, 0),
    ('rank', group, clock, '', below, n, value, upto): `value` holds ranks below+1 ..
    upto of the group's n values. `counts`: `group_counts(by, ...)` if already read."""
    counts = group_counts(by, since, until) if counts is None else counts
    tickets = {group: c.sla for group, c in counts.items() if c.sla}
    rows: list[FigureRow] = [("count", group, clock, state, n, 0, 0, 0)
                             for group, c in counts.items() if c.sla
                             for (clock, state), n in c.states.items() if n]
    rows += [("count", g, clock, state, n, 0, 0, 0)
             for g, clock, state, n in other_clock_counts(by, since, until)]
    for measure in figures.measures:
        column = MEASURE_COLUMNS[measure]
        for group, _, rank, n, value in ranked(column, by, counts, figures.percents,
                                                     since, until):
            rows.append(("rank", group if group is not None else figures.all_group,
                         measure, "", rank - 1, n, value, rank))
        lows = (None, *figures.bucket_edges)
        highs = (*figures.bucket_edges, None)
        for index, (low, high) in enumerate(zip(lows, highs, strict=True)):
            n = range_count(column, low, high, since, until)
            if n:
                rows.append(("bucket", "", measure, "", index, n, 0, 0))
    return tickets, rows


def ranked(column: str, by: str, counts: dict[str, GroupCounts], percents: tuple[int, ...],
           since: datetime | None, until: datetime | None
           ) -> list[tuple[str | None, int, int, int, int]]:
    """(group (None: all), percent, rank, n, value) of column's values per group and in
    total, each percentile by nearest rank."""
    found = []
    total = sum(c.measured.get(column, 0) for c in counts.values())
    lines: list[tuple[str | None, int]] = [
        (group, c.measured.get(column, 0)) for group, c in counts.items()]
    for group, n in [*lines, (None, total)]:
        if not n:
            continue
        for percent in percents:
            rank = (n * percent + 99) // 100
            found.append((group, percent, rank, n, value_at_rank(
                column, None if group is None else by, group or "", n, rank, since, until)))
    return found


def self_served_counts(by: str, since: datetime | None, until: datetime | None,
                       counts: dict[str, GroupCounts] | None = None) -> dict[str, int]:
    """Of the tickets created in [since, until) with clocks, how many each group's customers
    solved themselves with a suggested article (a `kb.self_served` event: a deflection)."""
    counts = group_counts(by, since, until) if counts is None else counts
    return {group: c.self_served for group, c in counts.items() if c.self_served}
