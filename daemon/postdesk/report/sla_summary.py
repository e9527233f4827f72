"""The SLA report as plain data, built from the aggregates the database returns (pure).

`postdesk report sla` looks at the tickets created in a period (`--since`,
`--until`) and at each one's stored SLA clocks (the `ticket_sla` row the
worker and the scheduler keep up to date), grouped by the ticket's current
team, assignee (agent), request type or priority:

* per clock (first_response, next_response, resolution, ola:<team>) how many
  were **met** in time, **breached** (late, answered or not) and are still
  **open** (running or paused); the met rate is met / (met + breached).
  For next_response that is each ticket's latest cycle;
* the business time to the first response and to resolution of the clocks
  that were met (in time or late): p50 and p90 by the nearest-rank method
  (the value below which at least that share of the tickets lies, always a
  real ticket's figure), and their distribution for the charts;
* how many tickets the customer solved with a suggested knowledge-base
  article (**self-served**: deflections, `kb.self_served`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

GROUPINGS = ("team", "agent", "request_type", "priority")
NO_GROUP = "(none)"  # a ticket without a team, agent, request type
ALL = "(all)"  # the line of totals
#: The clocks whose business time to being met is measured.
MEASURES = ("first_response", "resolution")
PERCENTS = (50, 90)
#: Upper edges of the distribution bars, in business seconds (the last bar is open).
BUCKET_EDGES = (900, 1800, 3600, 7200, 14400, 28800, 57600)
_CLOCK_ORDER = ("first_response", "next_response", "resolution")
_STATE_OF = {"met": "met", "breached": "breached", "running": "open", "paused": "open"}


@dataclass(frozen=True)
class ClockCount:
    """The database's answer: how many clocks of `group` and `clock` are in `state`."""

    group: str
    clock: str
    state: str
    count: int


@dataclass(frozen=True)
class RankedValue:
    """The database's answer: the `percent` percentile of `measure` in `group`."""

    group: str
    measure: str
    percent: int
    value_s: int
    count: int  # how many values it was taken from


@dataclass(frozen=True)
class BucketCount:
    """The database's answer: how many values of `measure` fall in bucket `index`."""

    measure: str
    index: int  # 0 .. len(BUCKET_EDGES)
    count: int


@dataclass(frozen=True)
class ClockTally:
    met: int = 0
    breached: int = 0
    open: int = 0

    @property
    def met_rate(self) -> float | None:
        """Met / (met + breached); None when none has finished either way."""
        done = self.met + self.breached
        return self.met / done if done else None


@dataclass(frozen=True)
class Times:
    """Business seconds to a clock being met: how many, p50, p90 (None: no values)."""

    count: int = 0
    p50_s: int | None = None
    p90_s: int | None = None


@dataclass(frozen=True)
class GroupFigures:
    group: str
    tickets: int
    clocks: Mapping[str, ClockTally]
    times: Mapping[str, Times]  # measure -> Times
    #: of `tickets`, those the customer solved with a suggested article (deflections)
    self_served: int = 0


@dataclass(frozen=True)
class Bar:
    """One bar of a distribution: values in [low_s, high_s) (high None: and above)."""

    low_s: int
    high_s: int | None
    count: int


@dataclass(frozen=True)
class SlaReport:
    by: str
    since: datetime | None
    until: datetime | None
    generated_at: datetime
    clock_names: tuple[str, ...]
    groups: tuple[GroupFigures, ...]
    total: GroupFigures
    distributions: Mapping[str, tuple[Bar, ...]] = field(default_factory=dict)


def nearest_rank(count: int, percent: int) -> int:
    """The 1-based rank of the `percent` percentile among `count` sorted values
    (ceil(count * percent / 100); the SQL uses the same integer formula)."""
    return (count * percent + 99) // 100


def bucket_index(value_s: int) -> int:
    """The distribution bar a value falls in (the SQL's CASE mirrors this)."""
    return next((i for i, edge in enumerate(BUCKET_EDGES) if value_s < edge), len(BUCKET_EDGES))


def clock_order(names: Iterable[str]) -> tuple[str, ...]:
    """first_response, next_response, resolution, then the OLA clocks by team."""
    found = set(names)
    known = [name for name in _CLOCK_ORDER if name in found]
    return (*known, *sorted(found - set(known)))


def build_report(by: str, since: datetime | None, until: datetime | None,
                 generated_at: datetime, tickets: Mapping[str, int],
                 counts: Iterable[ClockCount], ranked: Iterable[RankedValue],
                 buckets: Iterable[BucketCount], *,
                 self_served: Mapping[str, int] | None = None) -> SlaReport:
    """Assemble the report; `ranked` carries the groups' percentiles and those of `ALL`."""
    tallies: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {"met": 0, "breached": 0, "open": 0}))
    for item in counts:
        state = _STATE_OF.get(item.state)
        if state is not None:
            tallies[_name(item.group)][item.clock][state] += item.count
    percentiles: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for value in ranked:
        slot = percentiles[value.group if value.group == ALL else _name(value.group)]
        slot[value.measure][f"p{value.percent}_s"] = value.value_s
        slot[value.measure]["count"] = value.count
    names = clock_order(clock for group in tallies.values() for clock in group)
    groups = {_name(group): count for group, count in tickets.items()}
    served = {_name(group): count for group, count in (self_served or {}).items()}
    figures = [replace(_figures(name, groups.get(name, 0), tallies[name], percentiles[name],
                                names), self_served=served.get(name, 0))
               for name in sorted(set(groups) | set(tallies), key=lambda g: (-groups.get(g, 0), g))]
    summed = {clock: {state: sum(getattr(f.clocks[clock], state) for f in figures)
                      for state in ("met", "breached", "open")} for clock in names}
    total = replace(_figures(ALL, sum(groups.values()), summed, percentiles[ALL], names),
                    self_served=sum(served.values()))
    bars = _distributions(buckets)
    return SlaReport(by, since, until, generated_at, names, tuple(figures), total, bars)


def _name(group: str | None) -> str:
    return group if group else NO_GROUP


def _figures(name: str, tickets: int, tally: Mapping[str, Mapping[str, int]],
             times: Mapping[str, Mapping[str, int]], names: tuple[str, ...]) -> GroupFigures:
    clocks = {clock: ClockTally(**tally[clock]) if clock in tally else ClockTally()
              for clock in names}
    measured = {measure: Times(**times[measure]) if measure in times else Times()
                for measure in MEASURES}
    return GroupFigures(name, tickets, clocks, measured)


def _distributions(buckets: Iterable[BucketCount]) -> dict[str, tuple[Bar, ...]]:
    counts: dict[str, dict[int, int]] = defaultdict(dict)
    for bucket in buckets:
        counts[bucket.measure][bucket.index] = counts[bucket.measure].get(bucket.index, 0) \
            + bucket.count
    lows = (0, *BUCKET_EDGES)
    highs: tuple[int | None, ...] = (*BUCKET_EDGES, None)
    return {measure: tuple(Bar(low, high, counts[measure].get(i, 0))
                           for i, (low, high) in enumerate(zip(lows, highs, strict=True)))
            for measure in MEASURES}
