"""The SLA report from the database's aggregates: `sla_report(by, since, until, now)`.

The database does the counting (`postdesk.store.sla_figures`: index reads of
the per-ticket figures, however many tickets); this module says what it counts
(the measures, percentiles and distribution of `sla_summary`) and turns the
rows it returns into an `SlaReport`.
"""

from __future__ import annotations

from datetime import datetime

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
from postdesk.store.figure_reads import GroupCounts, group_counts
from postdesk.store.sla_figures import Figures, self_served_counts, sla_figures

_FIGURES = Figures(measures=MEASURES, percents=PERCENTS, bucket_edges=BUCKET_EDGES,
                   all_group=ALL)


def sla_report(by: str, since: datetime | None, until: datetime | None,
               generated_at: datetime, *, group_read: dict[str, GroupCounts] | None = None
               ) -> SlaReport:
    """The report of tickets created in [since, until), grouped `by` (see sla_summary);
    `group_read`: the store's counts per group of the same period, if already read."""
    read = group_counts(by, since, until) if group_read is None else group_read
    tickets, rows = sla_figures(by, since, until, _FIGURES, read)
    counts: list[ClockCount] = []
    ranked: list[RankedValue] = []
    buckets: list[BucketCount] = []
    for kind, grp, clock, state, a, b, c, d in rows:
        if kind == "count":
            counts.append(ClockCount(str(grp), str(clock), str(state), int(a)))
        elif kind == "bucket":
            buckets.append(BucketCount(str(clock), int(a), int(b)))
        else:  # value c is held by the ranks a+1 .. d of b values
            ranked += [RankedValue(str(grp), str(clock), percent, int(c), int(b))
                       for percent in PERCENTS if int(a) < nearest_rank(int(b), percent) <= int(d)]
    return build_report(by, since, until, generated_at, tickets, counts, ranked, buckets,
                        self_served=self_served_counts(by, since, until, read))
