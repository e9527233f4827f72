"""The KPI report as plain data (pure): what `postdesk report kpi` shows.

Per group (team, agent, request type or channel) and in total:

* tickets **created** in the period, tickets **resolved** in it (entered a closed
  status) and **reopened** in it (left a closed status); the reopen rate is
  reopened / resolved;
* the **acknowledgment** time: wall-clock time from a ticket's creation to the
  first thing a person other than the requester did on it, p50 / p90;
* the business time to the first response and to resolution (p50 / p90) and the
  SLA clocks met / breached: the SLA report's figures (`sla_summary`), for the
  tickets created in the period;
* **CSAT**: the share of top ratings of the satisfaction surveys asked in the
  period, with the **response rate** (rated / surveys that reached the
  customer; `store.csat_figures`), per group of the survey's ticket (per agent:
  its assignee now) and in total; self-service deflections. None ("n/a")
  while there are no ratings (no surveys) or no self-served resolutions.

Plus the weekly trend (tickets created and resolved per week) and the same
counts per agent, whatever the grouping, for the per-agent chart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from postdesk.report.sla_summary import (
    ALL,
    NO_GROUP,
    GroupFigures,
    SlaReport,
    Times,
)

KPI_GROUPINGS = ("team", "agent", "request_type", "channel")
#: The longest trend drawn (the latest weeks; the figures cover the whole period).
MOST_WEEKS = 104


@dataclass(frozen=True)
class Counts:
    created: int = 0
    resolved: int = 0
    reopened: int = 0


@dataclass(frozen=True)
class CsatFigures:
    """The satisfaction surveys of a line: reached the customer, rated, top-rated."""

    surveyed: int = 0
    rated: int = 0
    satisfied: int = 0

    @property
    def csat(self) -> float | None:
        """The share of top ratings; None without ratings."""
        return self.satisfied / self.rated if self.rated else None

    @property
    def response_rate(self) -> float | None:
        """Rated / surveyed; None when no survey went."""
        return self.rated / self.surveyed if self.surveyed else None

    def __add__(self, other: CsatFigures) -> CsatFigures:
        return CsatFigures(self.surveyed + other.surveyed, self.rated + other.rated,
                           self.satisfied + other.satisfied)


@dataclass(frozen=True)
class KpiGroup:
    group: str
    counts: Counts
    acknowledgment: Times
    sla: GroupFigures | None  # the SLA report's line of the same group (None: no clocks)
    satisfaction: CsatFigures = CsatFigures()

    @property
    def reopen_rate(self) -> float | None:
        """Reopened / resolved in the period; None when nothing was resolved."""
        return self.counts.reopened / self.counts.resolved if self.counts.resolved else None

    def times(self, measure: str) -> Times:
        return self.sla.times[measure] if self.sla is not None else Times()


@dataclass(frozen=True)
class Week:
    monday: str  # YYYY-MM-DD
    created: int
    resolved: int


@dataclass(frozen=True)
class KpiReport:
    by: str
    since: datetime | None
    until: datetime | None
    generated_at: datetime
    groups: tuple[KpiGroup, ...]
    total: KpiGroup
    agents: tuple[KpiGroup, ...]  # per agent (without SLA figures unless by agent)
    weeks: tuple[Week, ...]
    sla: SlaReport
    deflections: int | None = None  # self-served resolutions; None: not recorded

    @property
    def csat(self) -> float | None:
        """The desk's share of top ratings; None: the desk has no ratings."""
        return self.total.satisfaction.csat

    @property
    def csat_response_rate(self) -> float | None:
        """The desk's rated / surveyed; None: no survey went."""
        return self.total.satisfaction.response_rate

    @property
    def csat_rated(self) -> int:
        """How many ratings the desk's CSAT is of."""
        return self.total.satisfaction.rated


def build_groups(counts: Mapping[str, Counts],
                 acknowledgments: Iterable[tuple[str | None, int, int, int]],
                 sla: SlaReport | None, satisfaction: Mapping[str, CsatFigures]
                 ) -> tuple[tuple[KpiGroup, ...], KpiGroup]:
    """The lines per group (most tickets created first) and the line of totals; without
    `sla`, lines without the SLA figures (the per-agent lines of another grouping).
    `acknowledgments`: (group, None for all; percent, count, seconds at its rank);
    `satisfaction`: the surveys per group."""
    ranked: dict[str | None, dict[str, int]] = defaultdict(dict)
    for group, percent, count, seconds in acknowledgments:
        slot = ranked[None if group is None else name(group)]
        slot["count"] = count
        slot[f"p{percent}_s"] = seconds
    named = {name(group): c for group, c in counts.items()}
    sla_lines = {g.group: g for g in sla.groups} if sla is not None else {}
    acknowledged = {g for g in ranked if g is not None}
    surveyed = {name(group): s for group, s in satisfaction.items()}
    groups = tuple(KpiGroup(g, named.get(g, Counts()), Times(**ranked.get(g, {})),
                            sla_lines.get(g), surveyed.get(g, CsatFigures()))
                   for g in sorted(set(named) | acknowledged | set(sla_lines) | set(surveyed),
                                   key=lambda g: (-named.get(g, Counts()).created, g)))
    total = Counts(*(sum(getattr(c, f) for c in named.values())
                     for f in ("created", "resolved", "reopened")))
    return groups, KpiGroup(ALL, total, Times(**ranked.get(None, {})),
                            sla.total if sla is not None else None,
                            sum(surveyed.values(), CsatFigures()))


def satisfaction_lines(rows: Iterable[tuple[str, str, int, int, int]]
                       ) -> tuple[dict[str, CsatFigures], dict[str, CsatFigures]]:
    """The surveys per group and per agent from (group, agent, surveyed, rated, satisfied)
    counts (`store.csat_figures.csat_counts`)."""
    groups: dict[str, CsatFigures] = defaultdict(CsatFigures)
    agents: dict[str, CsatFigures] = defaultdict(CsatFigures)
    for group, agent, *figures in rows:
        counted = CsatFigures(*figures)
        groups[group] += counted
        agents[agent] += counted
    return dict(groups), dict(agents)


def every_week(counted: Iterable[tuple[str, int, int]], since: datetime | None,
               until: datetime | None) -> tuple[Week, ...]:
    """The weeks of the period (Mondays, UTC), those without tickets as zeros, so a trend
    shows a quiet week as one; without a bound, from the first to the last week counted
    (at most MOST_WEEKS, the latest)."""
    found = {monday: (created, resolved) for monday, created, resolved in counted}
    days = [date.fromisoformat(monday) for monday in found]
    first = _monday(since) if since is not None else min(days, default=None)
    last = _monday(until - timedelta(microseconds=1)) if until is not None \
        else max(days, default=None)
    if first is None or last is None:
        return ()
    first = max(first, last - timedelta(weeks=MOST_WEEKS - 1))
    mondays = [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
    return tuple(Week(m.isoformat(), *found.get(m.isoformat(), (0, 0))) for m in mondays)


def _monday(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def name(group: str | None) -> str:
    return group if group else NO_GROUP
