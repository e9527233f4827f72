"""`postdesk report sla` and `report kpi`: what managers measure, per team, agent, ...

    postdesk report sla --since 2026-03-01 --until 2026-03-31 --by team
    postdesk report sla --by agent --format html --out sla.html
    postdesk report sla --format csv > sla.csv

Tickets created from the start of `--since` to the end of `--until` (both
days included, midnight in the desk's time zone; a full ISO time such as
2026-03-01T08:00:00+01:00 is taken as it is) are grouped `--by` their
current team (default), agent (assignee), request_type or priority. The
figures come from each ticket's stored SLA clocks (`postdesk.report`); run
`postdesk sla recompute` first after changing rules/sla.yaml. `--format`
table (default), json, csv or html; `--out FILE` writes the file instead of
printing it.

    postdesk report kpi --since 2026-03-01 --until 2026-03-31 --by agent
    postdesk report kpi --format html --out kpi.html

`report kpi` takes the same options (grouping by team, agent, request_type or
channel) and adds tickets created, resolved and reopened, the time to the
first person's touch (acknowledgment) and the per-week trend to the SLA
figures (`postdesk.report.kpi_summary` says what each figure means). Its
table and html are for people: figures (html: and words) in the desk's
`default_language`; json and csv keep plain, locale-free numbers.

    postdesk report rebuild-figures [--after ID] [--batch N]

Both reports read per-ticket figures the database keeps in step with each
ticket (`postdesk.store.ticket_figures`); `rebuild-figures` recomputes them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from postdesk.report.kpi_summary import KPI_GROUPINGS
from postdesk.report.sla_summary import GROUPINGS

FORMATS = ("table", "json", "csv", "html")


def parse_day(value: str, zone: ZoneInfo, *, end_of_day: bool, option: str) -> datetime:
    """`2026-03-01` -> that midnight in `zone` (the next midnight with `end_of_day`);
    an ISO time with a UTC offset as it is. A bad value names the option."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").date()
            moment = datetime.combine(day, time(), zone)
            return moment + timedelta(days=1) if end_of_day else moment
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; write it like 2026-03-01 or "
                                 f"2026-03-01T08:00:00+01:00", param_hint=option) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


@click.group("report")
def report_group() -> None:
    """Reports for managers (SLA, KPIs)."""


def period_of(obj: Any, since: str | None, until: str | None
              ) -> tuple[ZoneInfo, datetime | None, datetime | None]:
    """The desk's zone and the period `--since` .. `--until` (both days included)."""
    zone = ZoneInfo(obj.settings.desk.timezone)
    start = parse_day(since, zone, end_of_day=False, option="--since") if since else None
    end = parse_day(until, zone, end_of_day=True, option="--until") if until else None
    if start is not None and end is not None and end <= start:
        raise click.BadParameter(f"'{until}' is before '{since}'", param_hint="--until")
    return zone, start, end


def rendered(form: str, report: Any, formats: Any, html: Callable[[Any], str]) -> str:
    """The report in `form`: `html(report)`, or the `formats` module's to_json, to_csv or
    to_table."""
    if form == "html":
        return html(report)
    return str(getattr(formats, f"to_{form}")(report))


def emit(text: str, out: Path | None, written: str) -> None:
    """Print the report, or write it to `out` and say `written` on stderr."""
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(f"{written} written to {out}", err=True)


def report_options(groupings: tuple[str, ...]) -> Callable[[Callable[..., Any]], Any]:
    """--since, --until, --by, --format and --out, as every report takes them."""
    def decorate(command: Callable[..., Any]) -> Any:
        for option in reversed((
            click.option("--since", help="First day (YYYY-MM-DD, the desk's time zone) or "
                                         "ISO time."),
            click.option("--until", help="Last day, included (YYYY-MM-DD) or ISO time "
                                         "(excluded)."),
            click.option("--by", "by", type=click.Choice(groupings), default="team",
                         show_default=True, help="Group the tickets by their current "
                         + ", ".join(g.replace("_", " ") for g in groupings) + "."),
            click.option("--format", "form", type=click.Choice(FORMATS), default="table",
                         show_default=True, help="table for the terminal; json, csv or html "
                                                 "for scripts, spreadsheets and a page to "
                                                 "share."),
            click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                         help="Write the report to FILE instead of printing it."),
        )):
            command = option(command)
        return command
    return decorate


@report_group.command("sla")
@report_options(GROUPINGS)
@click.pass_obj
def sla_report_command(obj: Any, since: str | None, until: str | None, by: str, form: str,
                       out: Path | None) -> None:
    """SLA met vs breached per clock and p50/p90 times to first response and resolution."""
    from postdesk.report import sla_formats, sla_html
    from postdesk.report.sla_query import sla_report
    from postdesk.store.db import utcnow

    zone, start, end = period_of(obj, since, until)
    obj.open_database()
    report = sla_report(by, start, end, utcnow().astimezone(zone))
    text = rendered(form, report, sla_formats,
                    lambda r: sla_html.to_html(r, desk=obj.settings.desk.name))
    emit(text, out, f"SLA report by {by} ({report.total.tickets} tickets)")


@report_group.command("kpi")
@report_options(KPI_GROUPINGS)
@click.pass_obj
def kpi_report_command(obj: Any, since: str | None, until: str | None, by: str, form: str,
                       out: Path | None) -> None:
    """Tickets created and resolved, acknowledgment, first response and resolution times,
    reopen rate and SLA met / breached, per team, agent, request type or channel."""
    from postdesk.report import kpi_formats, kpi_html
    from postdesk.report.kpi_query import kpi_report
    from postdesk.store.db import utcnow

    zone, start, end = period_of(obj, since, until)
    obj.open_database()
    report = kpi_report(by, start, end, utcnow().astimezone(zone),
                        obj.statuses.names_of_kind("closed"))
    if form in ("html", "table"):  # for people: in the desk's default language
        words = kpi_html.written_in(obj.runtime.renderer, None)
        text = kpi_formats.to_table(report, numbers=words["numbers"]) if form == "table" \
            else kpi_html.to_html(report, desk=obj.settings.desk.name,
                                  accent=obj.settings.branding.primary_colour, **words)
    else:  # json, csv: machine formats, locale-free
        text = rendered(form, report, kpi_formats, kpi_html.to_html)
    emit(text, out, f"KPI report by {by} ({report.total.counts.created} tickets created)")


@report_group.command("rebuild-figures")
@click.option("--after", type=click.IntRange(min=0), default=0, show_default=True,
              help="Start after this ticket id (to resume an interrupted rebuild).")
@click.option("--batch", type=click.IntRange(min=1), default=20_000, show_default=True,
              help="Tickets recomputed per transaction.")
@click.pass_obj
def rebuild_figures_command(obj: Any, after: int, batch: int) -> None:
    """Recompute the per-ticket figures the reports read from each ticket's history.

    The database keeps them current by itself; this is for after a bulk load that
    bypassed it, or to check. Each batch is committed and reported: after an
    interruption, `--after` the last ticket id reported goes on from there."""
    from postdesk.store import ticket_figures
    from postdesk.store.db import database

    obj.open_database()

    def report_batch(last_id: int, done: int) -> None:
        click.echo(f"up to ticket {last_id}: {done} recomputed", err=True)

    done = ticket_figures.rebuild(database.obj, after=after, batch=batch,
                                  progress=report_batch)
    click.echo(f"figures recomputed for {done} ticket{'s' if done != 1 else ''}")
