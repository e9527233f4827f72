"""The SLA report as a terminal table, JSON or CSV (the HTML page is `sla_html`).

JSON (for scripts): `{"by", "since", "until", "generated_at", "clocks",
"groups": [{"group", "tickets", "clocks": {name: {"met", "breached", "open",
"met_rate"}}, "times": {"first_response"|"resolution": {"count", "p50_s",
"p90_s"}}}], "total": {... the same, group "(all)"}, "distributions":
{measure: [{"from_s", "to_s", "count"}]}}`; times are business seconds,
`met_rate` is a fraction (null when nothing finished).

CSV (for spreadsheets): one line per group and clock, the totals last:
`group,clock,tickets,met,breached,open,met_rate_pct,p50_s,p90_s` (the
percentiles only on first_response and resolution lines).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from postdesk.report.sla_summary import MEASURES, ClockTally, GroupFigures, SlaReport

CSV_COLUMNS = ("group", "clock", "tickets", "met", "breached", "open", "met_rate_pct",
               "p50_s", "p90_s")
CLOCK_TITLES = {"first_response": "First response", "next_response": "Next response",
                "resolution": "Resolution"}


def clock_title(name: str) -> str:
    """`First response`, ..., `OLA hardware`."""
    return CLOCK_TITLES.get(name) or f"OLA {name.removeprefix('ola:')}"


def span(seconds: int | None) -> str:
    """Business seconds for people: `45s`, `25m`, `4h 05m`, `-` for none."""
    if seconds is None:
        return "-"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{secs}s"


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"


def period_text(report: SlaReport, gettext: Callable[..., str] | None = None) -> str:
    """`from 2026-03-01 00:00 to 2026-04-01 00:00`, `since ...`, `before ...`, `at any time`;
    `gettext(msgid, **values)`: in another language (a catalog's)."""
    def moment(value: datetime) -> str:
        return value.isoformat(sep=" ", timespec="minutes")

    def _(message: str, **values: str) -> str:
        return gettext(message, **values) if gettext is not None else message % values

    if report.since and report.until:
        return _("from %(since)s to %(until)s", since=moment(report.since),
                 until=moment(report.until))
    if report.since:
        return _("since %(since)s", since=moment(report.since))
    return _("before %(until)s", until=moment(report.until)) if report.until \
        else _("at any time")


def to_json(report: SlaReport) -> str:
    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    data = {
        "by": report.by, "since": iso(report.since), "until": iso(report.until),
        "generated_at": iso(report.generated_at), "clocks": list(report.clock_names),
        "groups": [_group_json(g) for g in report.groups], "total": _group_json(report.total),
        "distributions": {measure: [{"from_s": b.low_s, "to_s": b.high_s, "count": b.count}
                                    for b in bars]
                          for measure, bars in report.distributions.items()},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _group_json(group: GroupFigures) -> dict[str, Any]:
    return {
        "group": group.group, "tickets": group.tickets, "self_served": group.self_served,
        "clocks": {name: {"met": t.met, "breached": t.breached, "open": t.open,
                          "met_rate": None if t.met_rate is None else round(t.met_rate, 4)}
                   for name, t in group.clocks.items()},
        "times": {name: {"count": t.count, "p50_s": t.p50_s, "p90_s": t.p90_s}
                  for name, t in group.times.items()},
    }


def to_csv(report: SlaReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for group in (*report.groups, report.total):
        for name, tally in group.clocks.items():
            times = group.times.get(name)
            rate = tally.met_rate
            writer.writerow([group.group, name, group.tickets, tally.met, tally.breached,
                             tally.open, "" if rate is None else f"{rate * 100:.1f}",
                             _blank(times.p50_s if times else None),
                             _blank(times.p90_s if times else None)])
    return out.getvalue()


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)


def to_table(report: SlaReport, width: int = 160) -> str:
    table = Table(title=f"SLA by {report.by}, tickets created {period_text(report)}",
                  caption="met / breached / open (met rate); times are business time "
                          "to the first response and to resolution, p50 / p90")
    table.add_column(report.by.replace("_", " ").capitalize())
    table.add_column("Tickets", justify="right")
    deflections = report.total.self_served > 0  # a desk without a knowledge base: no column
    if deflections:
        table.add_column("Self-served", justify="right")
    for name in report.clock_names:
        table.add_column(clock_title(name), justify="right")
    for measure in MEASURES:
        table.add_column(f"{clock_title(measure)} p50 / p90", justify="right")
    for group in (*report.groups, report.total):
        table.add_row(group.group, str(group.tickets),
                      *((str(group.self_served),) if deflections else ()),
                      *(tally_text(group.clocks[name]) for name in report.clock_names),
                      *(f"{span(group.times[m].p50_s)} / {span(group.times[m].p90_s)}"
                        for m in MEASURES),
                      end_section=group is report.groups[-1] if report.groups else False)
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(table)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return str(output)


def tally_text(tally: ClockTally) -> str:
    """`3 / 2 / 0 (60%)`: met / breached / open (met rate); `-` when the group has none."""
    if not (tally.met or tally.breached or tally.open):
        return "-"
    return f"{tally.met} / {tally.breached} / {tally.open} ({percent(tally.met_rate)})"
