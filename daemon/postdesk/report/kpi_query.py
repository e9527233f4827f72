"""The KPI report from the database: `kpi_report(by, since, until, now, closed)`.

The SLA figures (business times, met / breached) are the SLA report's
(`sla_query.sla_report`); the counts, acknowledgment times and the weekly
trend are `postdesk.store.kpi_figures`'s, the satisfaction surveys per group and
agent `postdesk.store.csat_figures`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from postdesk.report.kpi_summary import (
    Counts,
    CsatFigures,
    KpiGroup,
    KpiReport,
    build_groups,
    every_week,
    satisfaction_lines,
)
from postdesk.report.sla_query import sla_report
from postdesk.report.sla_summary import PERCENTS, SlaReport
from postdesk.store.csat_figures import csat_counts
from postdesk.store.kpi_figures import kpi_figures
from postdesk.tickets.csat_scale import SCALES


def kpi_report(by: str, since: datetime | None, until: datetime | None,
               generated_at: datetime, closed: Sequence[str]) -> KpiReport:
    """Tickets created (and resolved) in [since, until), grouped `by`; `closed` are the
    desk's statuses of kind closed."""
    figures = kpi_figures(by, since, until, closed, percents=PERCENTS)
    sla = sla_report(by, since, until, generated_at, group_read=figures.group_counts)
    per_group, per_agent = satisfaction_lines(
        csat_counts(by, since, until, {s.name: s.top for s in SCALES.values()}))
    groups, total = _lines(figures.counts, figures.acknowledgments, sla, per_group)
    agents = groups if by == "agent" else _lines(
        figures.agent_counts, figures.agent_acknowledgments, None, per_agent)[0]
    weeks = every_week(figures.weeks, since, until)
    # tickets the customer solved with a suggested article (`kb.self_served`)
    return KpiReport(by, since, until, generated_at, groups, total, agents, weeks, sla,
                     deflections=sla.total.self_served)


def _lines(counts: dict[str, tuple[int, int, int]],
           acknowledgments: list[tuple[str | None, int, int, int]], sla: SlaReport | None,
           satisfaction: dict[str, CsatFigures]) -> tuple[tuple[KpiGroup, ...], KpiGroup]:
    return build_groups({g: Counts(*c) for g, c in counts.items()}, acknowledgments, sla,
                        satisfaction)
