"""The KPI digest a `send_report` rule mails: the figures inline, the report attached.

Mail clients do not agree on pictures: Gmail and Outlook drop inline SVG and
block remote images, and a PNG needs a rasteriser (a large dependency). So the
charts in the mail are HTML tables whose cells are the bars (a width in
percent, a background colour): every client draws them, and the text part
carries the same numbers. The full report (`postdesk report kpi`, by default
the HTML page with its SVG charts) travels as an attached file, stored as a
blob when the mail is queued (`headers["files"]`), so the mail a retry sends
is the mail first decided.

Context (JSON-safe, in the outbox row): ``desk{name, address}``,
``report{every, by, since, until (the last day, included), format, filename}``,
``kpi{created, resolved, reopened, reopen_rate, acknowledgment_p50,
first_response_p50, resolution_p50, sla_met, sla_breached, sla_met_rate, csat,
csat_response_rate,
deflections}`` (times and rates as text), ``weeks[{label, created, resolved,
created_pct, resolved_pct}]`` (the trend over TREND_WEEKS weeks),
``agents[{name, resolved, reopened, pct}]``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from postdesk.report import kpi_formats, kpi_html
from postdesk.report.kpi_summary import KpiReport
from postdesk.report.numbers import ENGLISH, Numbers
from postdesk.store.attachment_files import stored_file

TEMPLATE = "kpi_report"
#: How many weeks the trend in the mail shows (the last one is the report's period).
TREND_WEEKS = 8
#: Agents drawn in the mail's bar chart (the most resolved tickets first).
MOST_AGENTS = 10
_TYPES = {"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8",
          "json": "application/json"}


def report_file(report: KpiReport, form: str, desk: str, accent: str,
                words: dict[str, Any] | None = None) -> tuple[str, bytes]:
    """The attached report: its content type and bytes; the HTML page in the language of
    `words` (`kpi_html.written_in`, English without), csv and json locale-free."""
    if form == "html":
        text = kpi_html.to_html(report, desk=desk, accent=accent, **(words or {}))
    else:
        text = kpi_formats.to_csv(report) if form == "csv" else kpi_formats.to_json(report)
    return _TYPES[form], text.encode("utf-8")


def report_context(report: KpiReport, trend: KpiReport, *, every: str, form: str,
                   desk: dict[str, str], numbers: Numbers = ENGLISH) -> dict[str, Any]:
    """The mail's context, its rates and times written as `numbers` says."""
    percent, span = numbers.percent, numbers.span
    total, tally = report.total, kpi_formats.sla_tally(report.total)
    last_day = (report.until - timedelta(days=1)) if report.until else report.generated_at
    first_day = report.since or last_day
    weeks = trend.weeks[-TREND_WEEKS:]
    busiest = max((max(w.created, w.resolved) for w in weeks), default=0) or 1
    agents = sorted(report.agents, key=lambda a: (-a.counts.resolved, a.group))[:MOST_AGENTS]
    most = max((a.counts.resolved for a in agents), default=0) or 1
    return {
        "desk": desk,
        "report": {"every": every, "by": report.by, "since": _day(first_day),
                   "until": _day(last_day), "format": form,
                   "filename": filename(report, form)},
        "kpi": {"created": total.counts.created, "resolved": total.counts.resolved,
                "reopened": total.counts.reopened, "reopen_rate": percent(total.reopen_rate),
                "acknowledgment_p50": span(total.acknowledgment.p50_s),
                "first_response_p50": span(total.times("first_response").p50_s),
                "resolution_p50": span(total.times("resolution").p50_s),
                "sla_met": tally.met, "sla_breached": tally.breached,
                "sla_met_rate": percent(tally.met_rate),
                "csat": None if report.csat is None else percent(report.csat),
                "csat_response_rate": None if report.csat_response_rate is None
                else percent(report.csat_response_rate),
                "deflections": report.deflections},
        "weeks": [{"label": w.monday, "created": w.created, "resolved": w.resolved,
                   "created_pct": _pct(w.created, busiest),
                   "resolved_pct": _pct(w.resolved, busiest)} for w in weeks],
        "agents": [{"name": a.group, "resolved": a.counts.resolved,
                    "reopened": a.counts.reopened, "pct": _pct(a.counts.resolved, most)}
                   for a in agents if a.counts.resolved],
    }


def filename(report: KpiReport, form: str) -> str:
    start = _day(report.since) if report.since else "all"
    return f"kpi-{report.by}-{start}.{form}"


def attach(report: KpiReport, form: str, desk: str, accent: str,
           words: dict[str, Any] | None = None) -> dict[str, str]:
    """Store the report file as a blob; the reference the outbox row's headers keep."""
    content_type, data = report_file(report, form, desk, accent, words)
    return {"filename": filename(report, form), "content_type": content_type,
            "sha256": stored_file(data)}


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _pct(value: int, largest: int) -> int:
    """A bar's width in percent of the largest; a value above nothing shows a sliver."""
    return 0 if value <= 0 else max(1, round(100 * value / largest))
