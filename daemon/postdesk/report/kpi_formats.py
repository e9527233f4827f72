"""The KPI report as a terminal table, JSON or CSV (the HTML page is `kpi_html`).

JSON: `{"by", "since", "until", "generated_at", "groups": [line], "total": line,
"agents": [line], "weeks": [{"week", "created", "resolved"}], "csat": null,
"csat_response_rate": null, "csat_rated": 0, "deflections": null}` where a line
is `{"group", "created", "resolved", "reopened", "reopen_rate", "acknowledgment":
{"count", "p50_s", "p90_s"},
"first_response": {...}, "resolution": {...}, "sla": {clock: {"met",
"breached", "open", "met_rate"}}, "csat", "csat_response_rate",
"csat_rated"}`; acknowledgment times are wall-clock
seconds, first response and resolution business seconds; rates are fractions
(null: nothing to divide by). The `agents` lines carry no SLA figures (empty
`sla`, null times) unless the report is `--by agent`. `csat` (the share of top
ratings of `csat_rated` ratings) and `csat_response_rate` (rated / surveys that
reached the customer) are about the satisfaction surveys asked in the period:
on a line, of the tickets of its group (an agent's: the tickets assigned to
them now), at the top level for the desk as a whole; they and `deflections` are
null ("n/a" in the other formats) without ratings and self-served resolutions.

CSV: one line per group, the totals last: `group,created,resolved,reopened,
reopen_rate_pct,ack_p50_s,ack_p90_s,first_response_p50_s,first_response_p90_s,
resolution_p50_s,resolution_p90_s,sla_met,sla_breached,sla_met_rate_pct,csat_pct,
deflections,csat_response_rate_pct,csat_rated` (SLA met / breached: the first
response and resolution clocks together; the CSAT columns are the line's, the
deflections the desk's on every line).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from postdesk.report.kpi_summary import KpiGroup, KpiReport
from postdesk.report.numbers import ENGLISH, Numbers
from postdesk.report.sla_formats import period_text
from postdesk.report.sla_summary import MEASURES, ClockTally, Times

NOT_AVAILABLE = "n/a"
CSV_COLUMNS = ("group", "created", "resolved", "reopened", "reopen_rate_pct", "ack_p50_s",
               "ack_p90_s", "first_response_p50_s", "first_response_p90_s",
               "resolution_p50_s", "resolution_p90_s", "sla_met", "sla_breached",
               "sla_met_rate_pct", "csat_pct", "deflections", "csat_response_rate_pct",
               "csat_rated")


def sla_tally(line: KpiGroup) -> ClockTally:
    """The first response and resolution clocks of the line together."""
    if line.sla is None:
        return ClockTally()
    tallies = [line.sla.clocks[m] for m in MEASURES if m in line.sla.clocks]
    return ClockTally(sum(t.met for t in tallies), sum(t.breached for t in tallies),
                      sum(t.open for t in tallies))


def to_json(report: KpiReport) -> str:
    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    data = {
        "by": report.by, "since": iso(report.since), "until": iso(report.until),
        "generated_at": iso(report.generated_at),
        "groups": [_line_json(g) for g in report.groups], "total": _line_json(report.total),
        "agents": [_line_json(g) for g in report.agents],
        "weeks": [{"week": w.monday, "created": w.created, "resolved": w.resolved}
                  for w in report.weeks],
        "csat": _rate(report.csat), "csat_response_rate": _rate(report.csat_response_rate),
        "csat_rated": report.csat_rated, "deflections": report.deflections,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _times_json(times: Times) -> dict[str, int | None]:
    return {"count": times.count, "p50_s": times.p50_s, "p90_s": times.p90_s}


def _rate(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)


def _line_json(line: KpiGroup) -> dict[str, Any]:
    clocks = line.sla.clocks if line.sla is not None else {}
    return {
        "group": line.group, "created": line.counts.created, "resolved": line.counts.resolved,
        "reopened": line.counts.reopened, "reopen_rate": _rate(line.reopen_rate),
        "acknowledgment": _times_json(line.acknowledgment),
        **{m: _times_json(line.times(m)) for m in MEASURES},
        "sla": {name: {"met": t.met, "breached": t.breached, "open": t.open,
                       "met_rate": _rate(t.met_rate)} for name, t in clocks.items()},
        "csat": _rate(line.satisfaction.csat),
        "csat_response_rate": _rate(line.satisfaction.response_rate),
        "csat_rated": line.satisfaction.rated,
    }


def to_csv(report: KpiReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in (*report.groups, report.total):
        tally, surveys = sla_tally(line), line.satisfaction
        writer.writerow([
            line.group, line.counts.created, line.counts.resolved, line.counts.reopened,
            _pct(line.reopen_rate), _blank(line.acknowledgment.p50_s),
            _blank(line.acknowledgment.p90_s),
            *(_blank(getattr(line.times(m), f)) for m in MEASURES for f in ("p50_s", "p90_s")),
            tally.met, tally.breached, _pct(tally.met_rate),
            NOT_AVAILABLE if surveys.csat is None else _pct(surveys.csat),
            NOT_AVAILABLE if report.deflections is None else report.deflections,
            NOT_AVAILABLE if surveys.response_rate is None else _pct(surveys.response_rate),
            surveys.rated])
    return out.getvalue()


def _pct(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}"


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)


def line_cells(line: KpiGroup, numbers: Numbers = ENGLISH) -> list[str]:
    """A line as the table and the page show it: group, created, resolved, reopened
    (rate), acknowledgment, first response and resolution p50 / p90, SLA met / breached
    (rate), CSAT / survey response rate; figures written as `numbers` says."""
    tally, surveys = sla_tally(line), line.satisfaction
    number, percent, span = numbers.number, numbers.percent, numbers.span
    return [line.group, number(line.counts.created), number(line.counts.resolved),
            f"{number(line.counts.reopened)} ({percent(line.reopen_rate)})",
            *(f"{span(t.p50_s)} / {span(t.p90_s)}"
              for t in (line.acknowledgment, *(line.times(m) for m in MEASURES))),
            f"{number(tally.met)} / {number(tally.breached)} ({percent(tally.met_rate)})",
            f"{percent(surveys.csat)} / {percent(surveys.response_rate)}"]


def to_table(report: KpiReport, width: int = 170, numbers: Numbers = ENGLISH) -> str:
    table = Table(title=f"KPIs by {report.by.replace('_', ' ')}, {period_text(report.sla)}",
                  caption="acknowledgment: wall-clock time to the first person's touch; first "
                          "response and resolution: business time, p50 / p90; SLA: met / "
                          "breached (rate); CSAT: share of top ratings / survey response "
                          f"rate; in all CSAT {_csat(report, numbers)}, "
                          f"self-service deflections "
                          f"{_na(report.deflections, numbers)}")
    table.add_column(report.by.replace("_", " ").capitalize())
    for title in ("Created", "Resolved", "Reopened", "Acknowledged", "First response",
                  "Resolution", "SLA", "CSAT"):
        table.add_column(title, justify="right")
    for line in (*report.groups, report.total):
        table.add_row(
            *line_cells(line, numbers),
            end_section=line is report.groups[-1] if report.groups else False)
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(table)
    return str(console.file.getvalue())  # type: ignore[attr-defined]


def _na(value: int | None, numbers: Numbers) -> str:
    return NOT_AVAILABLE if value is None else numbers.number(value)


def _csat(report: KpiReport, numbers: Numbers) -> str:
    """"75% of 4 ratings (response rate 50%)", or n/a."""
    if report.csat is None:
        return NOT_AVAILABLE
    return (f"{numbers.percent(report.csat)} of {numbers.number(report.csat_rated)} ratings "
            f"(response rate {numbers.percent(report.csat_response_rate)})")
