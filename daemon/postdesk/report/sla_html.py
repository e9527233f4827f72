"""The SLA report as one self-contained HTML page with SVG charts (no script, no link).

What a manager sees first: the totals as cards (tickets, met rates, the
median time to a first answer), then per clock a bar per group split into
met / breached / still open, the distribution of the business time to the
first response and to resolution, and every figure in a table. The page is
rendered from `templates/report/sla.html.j2` with autoescaping; the charts
come from `svg_charts`.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from postdesk.config.shipped import shipped
from postdesk.report.sla_formats import clock_title, percent, period_text, span, tally_text
from postdesk.report.sla_summary import MEASURES, Bar, ClockTally, GroupFigures, SlaReport
from postdesk.report.svg_charts import BarRow, Segment, columns, stacked_bars

COLOURS = {"met": "#2e7d32", "breached": "#c62828", "open": "#b0b7bf"}
#: Groups drawn in a bar chart (the largest by tickets); the table lists them all.
MOST_BARS = 20
_TEMPLATES = shipped("templates") / "report"
#: `_()` in a template calls the `gettext` of its render's context (`kpi_html.to_html`)
environment = Environment(loader=FileSystemLoader(_TEMPLATES),
                          autoescape=select_autoescape(["html", "j2"]),
                          extensions=["jinja2.ext.i18n"])
_BY_TITLES = {"team": "Team", "agent": "Agent", "request_type": "Request type",
              "priority": "Priority"}


def to_html(report: SlaReport, desk: str = "Postdesk") -> str:
    template = environment.get_template("sla.html.j2")
    return template.render(
        desk=desk, by_title=_BY_TITLES.get(report.by, report.by), period=period_text(report),
        generated=report.generated_at.isoformat(timespec="minutes"), total=report.total,
        groups=report.groups, colours=COLOURS, cards=_cards(report.total),
        bar_charts=[{"title": clock_title(name), "svg": Markup(_bars(report, name))}
                    for name in report.clock_names if report.groups],
        distributions=[distribution(report, measure) for measure in MEASURES
                       if report.total.times[measure].count],
        clock_titles=[clock_title(name) for name in report.clock_names],
        table_rows=[_table_row(report, g) for g in (*report.groups, report.total)],
    )


def _cards(total: GroupFigures) -> list[dict[str, str]]:
    """The totals; a met rate says on how many of the tickets it is based (a "100 %" of 1
    ticket in 7 reads very differently from one of 7 in 7)."""
    cards = [{"value": str(total.tickets), "label": "tickets", "tone": "", "basis": ""}]
    for name in MEASURES:
        tally = total.clocks.get(name)
        if tally is not None:
            cards.append({"value": percent(tally.met_rate),
                          "label": f"{clock_title(name).lower()} within target",
                          "tone": _tone(tally.met_rate), "basis": _basis(tally, total)})
    cards.append({"value": span(total.times["first_response"].p50_s),
                  "label": "median time to a first response", "tone": "",
                  "basis": _tickets(total.times["first_response"].count, total.tickets,
                                    "answered")})
    return cards[:4]


def _tickets(count: int, of: int, what: str) -> str:
    return f"{count} of {of} ticket{'' if of == 1 else 's'} {what}"


def _basis(tally: ClockTally, total: GroupFigures) -> str:
    """`1 of 7 tickets had a target` (met or breached), plus how many still run."""
    done = tally.met + tally.breached
    basis = _tickets(done, total.tickets, "had a target met or missed")
    return basis + (f"; {tally.open} still open" if tally.open else "")


def _tone(rate: float | None) -> str:
    if rate is None:
        return ""
    return "good" if rate >= 0.9 else "bad" if rate < 0.75 else ""


def _bars(report: SlaReport, clock: str) -> str:
    rows = []
    kept = [g for g in report.groups if tally_text(g.clocks[clock]) != "-"]
    for group in kept[:MOST_BARS]:
        tally = group.clocks[clock]
        rows.append(BarRow(group.group, (
            Segment(tally.met, COLOURS["met"], "met"),
            Segment(tally.breached, COLOURS["breached"], "breached"),
            Segment(tally.open, COLOURS["open"], "open")),
            note=f"{percent(tally.met_rate)} met" if tally.met_rate is not None else ""))
    return stacked_bars(rows)


def distribution(report: SlaReport, measure: str) -> dict[str, Any]:
    bars = report.distributions.get(measure, ())
    times = report.total.times[measure]
    colour = "#1565c0" if measure == "first_response" else "#6a1b9a"
    svg = columns([bucket_label(b) for b in bars], [b.count for b in bars], colour=colour,
                  width=440, height=230)
    return {"title": f"Time to {clock_title(measure).lower()}", "svg": Markup(svg),
            "p50": span(times.p50_s), "p90": span(times.p90_s)}


def bucket_label(bar: Bar) -> str:
    """`<15m`, `1–2h`, `16h+`."""
    if bar.low_s == 0 and bar.high_s is not None:
        return f"<{_short(bar.high_s)}"
    if bar.high_s is None:
        return f"{_short(bar.low_s)}+"
    low, high = _short(bar.low_s), _short(bar.high_s)
    if low[-1] == high[-1]:  # 15–30m, 1–2h
        low = low[:-1]
    return f"{low}–{high}"


def _short(seconds: int) -> str:
    return f"{seconds // 3600}h" if seconds % 3600 == 0 else f"{seconds // 60}m"


def _table_row(report: SlaReport, group: GroupFigures) -> dict[str, Any]:
    """Cells as (figure, small note below it), so the table stays narrow."""
    cells: list[tuple[str, str]] = [(group.group, ""), (str(group.tickets), "")]
    for name in report.clock_names:
        tally = group.clocks[name]
        text = tally_text(tally)
        cells.append((text.partition(" (")[0], f"{percent(tally.met_rate)} met"
                      if text != "-" and tally.met_rate is not None else ""))
    for measure in MEASURES:
        times = group.times[measure]
        cells.append((f"{span(times.p50_s)} / {span(times.p90_s)}", ""))
    return {"cells": cells, "total": group is report.total}
