"""The KPI report as one self-contained, printable HTML page with SVG charts.

No script, no link, no external resource (the desk's logo URL is left out for
that reason; its primary colour is the page's accent, as in the mails): a
manager can open it from a file, print it or mail it. `to_html(report, ...)`
renders `templates/report/kpi.html.j2`; the web server can mount the same
function at `/reports` later. Charts: tickets created and resolved per week,
the distribution of the business time to the first response and to
resolution (the SLA page's, `sla_html.distribution`), and per-agent bars of
resolved tickets.

Its words are msgids of the desk's catalogs: `gettext` (the desk's translation
for one language, e.g. `Renderer.translate` bound to the signed-in agent's
language at `/reports`) is passed per render, never installed in the shared
environment; without it the page is in English. `written_in(catalogs, language)`
gives both for one language, with its `numbers` (`postdesk.report.numbers`):
figures written as that language writes them (`45,2 %` in German).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from markupsafe import Markup

from postdesk.report.kpi_formats import NOT_AVAILABLE, line_cells, sla_tally
from postdesk.report.kpi_summary import KpiGroup, KpiReport
from postdesk.report.numbers import ENGLISH, Numbers
from postdesk.report.sla_formats import period_text
from postdesk.report.sla_html import MOST_BARS, distribution, environment
from postdesk.report.sla_summary import ALL, MEASURES
from postdesk.report.svg_charts import BarRow, Segment, columns, stacked_bars

COLOURS = {"created": "#1565c0", "resolved": "#2e7d32", "reopened": "#ef6c00"}
#: A msgid with its %(name)s values filled in, in the page's language.
Gettext = Callable[..., str]


def english(message: str, **values: Any) -> str:
    """The msgid itself, its values filled in (the page without a catalog)."""
    return message % values if values else message


class Catalogs(Protocol):
    """The desk's translations (`postdesk.notify.render.Renderer`)."""

    def translate(self, message: str, language: str | None = None, **values: Any) -> str: ...

    def written_in(self, language: str | None) -> str: ...


def translator(catalogs: Catalogs, language: str | None) -> Gettext:
    """`gettext` for one language (the desk's default when None)."""
    def gettext(message: str, **values: Any) -> str:
        return catalogs.translate(message, language, **values)
    return gettext


def written_in(catalogs: Catalogs, language: str | None) -> dict[str, Any]:
    """`to_html`'s words and figures for `language` along its locale chain (the desk's
    default language when None): its `gettext`, `language` tag and `numbers`."""
    tag = catalogs.written_in(language)
    return {"gettext": translator(catalogs, language), "language": tag,
            "numbers": Numbers.of(tag)}


# The words below are written out as `_()` calls (not looked up in a table of msgids) so
# that `pybabel extract` finds them.

def grouping_title(by: str, _: Gettext = english) -> str:
    """"Team", "Request type", ... in the page's language."""
    titles = {"team": _("Team"), "agent": _("Agent"), "request_type": _("Request type"),
              "channel": _("Channel")}
    return titles.get(by, by)


def _heading(by: str, _: Gettext) -> str:
    headings = {"team": _("KPIs by team"), "agent": _("KPIs by agent"),
                "request_type": _("KPIs by request type"), "channel": _("KPIs by channel")}
    return headings.get(by, by)


def _time_to(measure: str, _: Gettext) -> str:
    return _("Time to first response") if measure == "first_response" \
        else _("Time to resolution")


def to_html(report: KpiReport, desk: str = "Postdesk", accent: str = "#2563eb", *,
            gettext: Gettext = english, language: str = "en",
            numbers: Numbers = ENGLISH) -> str:
    """The page; `gettext` and `language` (its tag): the language it is written in,
    `numbers`: how its figures are written (`Numbers.of(language)`)."""
    total, _ = report.total, gettext
    return environment.get_template("kpi.html.j2").render(
        gettext=gettext, language=language.replace("_", "-"), desk=desk, accent=accent,
        by_title=grouping_title(report.by, gettext),
        heading=_heading(report.by, gettext),
        period=period_text(report.sla, gettext), generated=report.generated_at.isoformat(
            timespec="minutes"), total=total, colours=COLOURS, cards=_cards(report, _, numbers),
        trend=_trend(report, _) if report.weeks else [],
        distributions=[{**distribution(report.sla, m), "title": _time_to(m, gettext),
                        "p50": numbers.span(report.sla.total.times[m].p50_s),
                        "p90": numbers.span(report.sla.total.times[m].p90_s)}
                       for m in MEASURES if report.sla.total.times[m].count],
        agents=Markup(_agent_bars(report.agents, _, numbers))
        if any(a.counts.resolved for a in report.agents) else "",
        created=numbers.number(total.counts.created),
        rows=[_row(line, numbers) for line in (*report.groups, total)])


def _cards(report: KpiReport, _: Gettext, numbers: Numbers) -> list[dict[str, str]]:
    total, tally = report.total, sla_tally(report.total)
    percent, span = numbers.percent, numbers.span
    return [
        {"value": numbers.number(total.counts.created), "label": _("tickets created")},
        {"value": numbers.number(total.counts.resolved), "label": _("tickets resolved")},
        {"value": percent(total.reopen_rate), "label": _("reopen rate")},
        {"value": span(total.acknowledgment.p50_s), "label": _("median acknowledgment")},
        {"value": span(total.times("first_response").p50_s),
         "label": _("median first response (business time)")},
        {"value": span(total.times("resolution").p50_s),
         "label": _("median resolution (business time)")},
        {"value": percent(tally.met_rate), "label": _("SLA met")},
        {"value": NOT_AVAILABLE if report.csat is None else percent(report.csat),
         "label": _("CSAT (top ratings of %(rated)s)", rated=numbers.number(report.csat_rated))},
        {"value": NOT_AVAILABLE if report.csat_response_rate is None
         else percent(report.csat_response_rate), "label": _("survey response rate")},
        {"value": NOT_AVAILABLE if report.deflections is None
         else numbers.number(report.deflections),
         "label": _("self-service deflections")},
    ]


def _trend(report: KpiReport, _: Gettext) -> list[dict[str, Any]]:
    labels = [week.monday[5:] for week in report.weeks]  # MM-DD of the Monday
    titles = {"created": _("Tickets created per week"),
              "resolved": _("Tickets resolved per week")}
    return [{"title": title,
             "svg": Markup(columns(labels, [getattr(w, what) for w in report.weeks],
                                   colour=COLOURS[what], width=440, height=230))}
            for what, title in titles.items()]


def _agent_bars(agents: tuple[KpiGroup, ...], _: Gettext, numbers: Numbers) -> str:
    busiest = sorted((a for a in agents if a.counts.resolved),
                     key=lambda a: (-a.counts.resolved, a.group))[:MOST_BARS]
    return stacked_bars([BarRow(a.group, (
        Segment(a.counts.resolved - min(a.counts.reopened, a.counts.resolved),
                # the table's heading in lower case: "resolved" alone is a status name
                COLOURS["resolved"], _("Resolved").lower()),
        Segment(min(a.counts.reopened, a.counts.resolved), COLOURS["reopened"],
                _("resolved, then reopened"))),
        note=_agent_note(a, _, numbers)) for a in busiest],
        note_width=200)  # room for "12 resolved, CSAT 80% of 5" right of the longest bar


def _agent_note(agent: KpiGroup, _: Gettext, numbers: Numbers) -> str:
    """"12 resolved", or "12 resolved, CSAT 80% of 5" for an agent with ratings."""
    surveys, resolved = agent.satisfaction, numbers.number(agent.counts.resolved)
    if not surveys.rated:
        return _("%(resolved)s resolved", resolved=resolved)
    return _("%(resolved)s resolved, CSAT %(csat)s of %(rated)s", resolved=resolved,
             csat=numbers.percent(surveys.csat), rated=numbers.number(surveys.rated))


def _row(line: KpiGroup, numbers: Numbers) -> dict[str, Any]:
    return {"cells": line_cells(line, numbers), "total": line.group == ALL}
