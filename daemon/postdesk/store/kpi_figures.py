"""The KPI report's own figures, read from the per-ticket figures (the SLA part is
`sla_figures`).

* tickets created per group (by `created_at` in the period);
* tickets resolved and reopened per group: status changes in the period that
  enter a closed status from another kind (resolved) or leave one (reopened),
  each ticket counted once per group and figure (`ticket_status_change`);
* the acknowledgment time of the tickets created in the period: the wall-clock
  seconds from its creation to the first thing a person other than the requester
  did on it (a reply, a note, a status change or an assignment; not a rule, not the
  system, not a customer's mail), as p50 / p90 per group and in total;
* per week (Monday, UTC) how many tickets were created and resolved, for the trend.

Groups are `ticket_figures.GROUPS`, so the two parts of the report group alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from postdesk.store.figure_reads import (
    GroupCounts,
    group_and_agent_counts,
    status_counts,
    weekly_counts,
)
from postdesk.store.sla_figures import GROUP_COLUMNS, ranked


@dataclass(frozen=True)
class KpiFigures:
    counts: dict[str, tuple[int, int, int]]  # group ('' = none) -> created, resolved, reopened
    #: (group, None: all; percent, how many tickets were acknowledged, seconds at that rank)
    acknowledgments: list[tuple[str | None, int, int, int]]
    weeks: list[tuple[str, int, int]]  # (Monday YYYY-MM-DD, created, resolved)
    #: what was read per group; the SLA part reads the same (`sla_figures(counts=...)`)
    group_counts: dict[str, GroupCounts] = field(default_factory=dict)
    #: the same counts and acknowledgments per agent, whatever the grouping
    agent_counts: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    agent_acknowledgments: list[tuple[str | None, int, int, int]] = field(default_factory=list)


def kpi_figures(by: str, since: datetime | None, until: datetime | None,
                closed: Sequence[str], *, weeks: bool = True,
                percents: tuple[int, ...] = (50, 90)) -> KpiFigures:
    """The figures of tickets (created, resolved, reopened) in [since, until), grouped
    `by` a key of GROUP_COLUMNS and per agent; `closed` are the desk's statuses of kind
    closed. `weeks=False`: without the weekly trend (the same for every grouping)."""
    if by not in GROUP_COLUMNS:
        raise ValueError(f"cannot group by {by!r}; use one of {', '.join(GROUP_COLUMNS)}")
    read, agents_read = group_and_agent_counts(by, since, until)
    changes, agent_changes = status_counts(by, since, until, closed)
    acknowledgments = _acknowledged(by, read, percents, since, until)
    return KpiFigures(
        _counts(read, changes), acknowledgments,
        weekly_counts(since, until, closed) if weeks else [], read,
        _counts(agents_read, agent_changes),
        acknowledgments if by == "agent"
        else _acknowledged("agent", agents_read, percents, since, until))


def _counts(read: dict[str, GroupCounts], changes: dict[str, tuple[int, int]]
            ) -> dict[str, tuple[int, int, int]]:
    created = {group: c.created for group, c in read.items()}
    return {g: (created.get(g, 0), *changes.get(g, (0, 0)))
            for g in sorted(set(created) | set(changes))}


def _acknowledged(by: str, read: dict[str, GroupCounts], percents: tuple[int, ...],
                  since: datetime | None, until: datetime | None
                  ) -> list[tuple[str | None, int, int, int]]:
    return [(group, percent, n, value) for group, percent, _, n, value
            in ranked("acknowledged_s", by, read, percents, since, until)]
