"""The KPI report as one self-contained, printable HTML page with SVG charts.

No script, no link, no external resource (the desk's logo URL is left out for
that reason; its primary colour is the page's accent, as in the mails): a
manager can open it from a file, print it or mail it. `to_html(report, ...)`
renders `templates/report/kpi.html.j2`; the web server can mount the same
function at `/reports` later. Charts: tickets created and resolved per week,
the distribution of the business time to the first response and to
resolution (the SLA page's, `sla_html.distribution`), and per-agent bars of
resolved tickets.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from postdesk.report.kpi_formats import NOT_AVAILABLE, line_cells, sla_tally
from postdesk.report.kpi_summary import KpiGroup, KpiReport
from postdesk.report.sla_formats import percent, period_text, span
from postdesk.report.sla_html import MOST_BARS, distribution, environment
from postdesk.report.sla_summary import ALL, MEASURES
from postdesk.report.svg_charts import BarRow, Segment, columns, stacked_bars

COLOURS = {"created": "#1565c0", "resolved": "#2e7d32", "reopened": "#ef6c00"}
_BY_TITLES = {"team": "Team", "agent": "Agent", "request_type": "Request type",
              "channel": "Channel"}


def to_html(report: KpiReport, desk: str = "Postdesk", accent: str = "#2563eb") -> str:
    total = report.total
    return environment.get_template("kpi.html.j2").render(
        desk=desk, accent=accent, by_title=_BY_TITLES.get(report.by, report.by),
        period=period_text(report.sla), generated=report.generated_at.isoformat(
            timespec="minutes"), total=total, colours=COLOURS, cards=_cards(report),
        trend=_trend(report) if report.weeks else [],
        distributions=[distribution(report.sla, m) for m in MEASURES
                       if report.sla.total.times[m].count],
        agents=Markup(_agent_bars(report.agents))
        if any(a.counts.resolved for a in report.agents) else "",
        rows=[_row(line) for line in (*report.groups, total)])


def _cards(report: KpiReport) -> list[dict[str, str]]:
    total, tally = report.total, sla_tally(report.total)
    return [
        {"value": str(total.counts.created), "label": "tickets created"},
        {"value": str(total.counts.resolved), "label": "tickets resolved"},
        {"value": percent(total.reopen_rate), "label": "reopen rate"},
        {"value": span(total.acknowledgment.p50_s), "label": "median acknowledgment"},
        {"value": span(total.times("first_response").p50_s),
         "label": "median first response (business time)"},
        {"value": span(total.times("resolution").p50_s),
         "label": "median resolution (business time)"},
        {"value": percent(tally.met_rate), "label": "SLA met"},
        {"value": NOT_AVAILABLE if report.csat is None else percent(report.csat),
         "label": f"CSAT (top ratings of {report.csat_rated})"},
        {"value": NOT_AVAILABLE if report.csat_response_rate is None
         else percent(report.csat_response_rate), "label": "survey response rate"},
        {"value": NOT_AVAILABLE if report.deflections is None else str(report.deflections),
         "label": "self-service deflections"},
    ]


def _trend(report: KpiReport) -> list[dict[str, Any]]:
    labels = [week.monday[5:] for week in report.weeks]  # MM-DD of the Monday
    return [{"title": f"Tickets {what} per week",
             "svg": Markup(columns(labels, [getattr(w, what) for w in report.weeks],
                                   colour=COLOURS[what], width=440, height=230))}
            for what in ("created", "resolved")]


def _agent_bars(agents: tuple[KpiGroup, ...]) -> str:
    busiest = sorted((a for a in agents if a.counts.resolved),
                     key=lambda a: (-a.counts.resolved, a.group))[:MOST_BARS]
    return stacked_bars([BarRow(a.group, (
        Segment(a.counts.resolved - min(a.counts.reopened, a.counts.resolved),
                COLOURS["resolved"], "resolved"),
        Segment(min(a.counts.reopened, a.counts.resolved), COLOURS["reopened"],
                "resolved, then reopened")),
        note=f"{a.counts.resolved} resolved{_csat_note(a)}") for a in busiest],
        note_width=200)  # room for "12 resolved, CSAT 80% of 5" right of the longest bar


def _csat_note(agent: KpiGroup) -> str:
    """", CSAT 80% of 5" for an agent with ratings."""
    surveys = agent.satisfaction
    return f", CSAT {percent(surveys.csat)} of {surveys.rated}" if surveys.rated else ""


def _row(line: KpiGroup) -> dict[str, Any]:
    return {"cells": line_cells(line), "total": line.group == ALL}
