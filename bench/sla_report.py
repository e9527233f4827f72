"""SLA report benchmark: `postdesk report sla` over a million tickets' stored clocks.

    .venv/bin/python bench/sla_report.py [--rows 1000000] [--pg URL | --no-pg] [--json]

For SQLite (a fresh file) and PostgreSQL (a fresh database, skipped when
unreachable), the tickets and ticket_sla rows of bench/sla_scan.py are
filled in the database, then given clocks as the worker stores them (first
response met 80 % / breached 12 % / running, resolution met 60 % / breached
15 % / open, next_response on a third, elapsed times spread over 0-4 h and
0-16 h), 8 teams and 40 agents. Timed (median of --runs, default 3; on
SQLite also the CPU seconds of this process, steadier than wall-clock on a
shared machine):

* the report itself, `postdesk.report.sla_query.sla_report`, by team and by
  agent: counts per clock and state, p50/p90 per group and in total, the
  distributions: all in SQL;
* the baselines in the same run: `count(*)` of ticket_sla, reading every
  row's clocks JSON once (`sum(length(clocks))`) and parsing it once
  (`json_each`), the floor of any report that looks at each ticket's clocks.

For scale: replaying each ticket's history in Python instead costs about
200 µs a ticket (bench/sla_clock.py), some 200 s for a million. Prints
figures; it is not a test. The databases are removed afterwards.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import peewee

from _databases import fill_then_figures, timed_report_main
from postdesk.report.sla_query import sla_report
from postdesk.store import migrations
from sla_scan import _fill

RUNS = 3
STEP = 100_000
NOW = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def _clock(pg: bool, spread_s: int, met: int, breached: int, seed: int) -> str:
    """A clock's JSON from the row id, the same on both engines (no random())."""
    mod = "%%" if pg else "%"  # psycopg reads a lone % as a placeholder
    pick = f"((CAST(s.ticket_id AS BIGINT) * {seed}) {mod} 100)"
    elapsed = f"(((CAST(s.ticket_id AS BIGINT) * {seed * 31}) {mod} {spread_s}) + 30)"
    state = (f"CASE WHEN {pick} < {met} THEN 'met' WHEN {pick} < {met + breached} "
             "THEN 'breached' ELSE 'running' END")
    met_at = f"CASE WHEN {pick} < {met + breached} THEN '2026-03-03T10:00:00+00:00' END"
    build = "json_build_object" if pg else "json_object"
    return (f"{build}('state', {state}, 'elapsed_s', {elapsed}, 'met_at', {met_at}, "
            f"'cycle', 1, 'target_s', 14400)")


def _shape(database: peewee.Database, rows: int) -> float:
    """Realistic clocks, teams and agents on the filled rows; seconds taken."""
    began = time.perf_counter()
    pg = isinstance(database, peewee.PostgresqlDatabase)
    build = "json_build_object" if pg else "json_object"
    first = _clock(pg, 14400, 80, 12, 7919)
    resolution = _clock(pg, 57600, 60, 15, 104729)
    later = _clock(pg, 28800, 85, 10, 15485863)
    text, mod = ("::text", "%%") if pg else ("", "%")
    with_next = (f"CASE WHEN s.ticket_id {mod} 3 = 0 THEN {build}('first_response', {first}, "
                 f"'resolution', {resolution}, 'next_response', {later}){text} "
                 f"ELSE {build}('first_response', {first}, 'resolution', {resolution}){text} END")
    for low in range(1, rows + 1, STEP):
        high = min(rows, low + STEP - 1)
        with database.atomic():
            database.execute_sql(f"UPDATE ticket_sla AS s SET clocks = {with_next} "
                                 f"WHERE s.ticket_id BETWEEN {low} AND {high}")
            database.execute_sql(
                f"UPDATE ticket SET team = 'team' || (id {mod} 8), "
                f"assignee = 'agent' || (id {mod} 40) || '@example.com' "
                f"WHERE id BETWEEN {low} AND {high}")
    database.execute_sql("ANALYZE")
    return time.perf_counter() - began


def _median_s(work: Callable[[], Any], runs: int = RUNS) -> tuple[float, float, Any]:
    """Median wall-clock and CPU seconds of this process (SQLite works in it; a
    PostgreSQL query's work is the server's, so only wall-clock counts there)."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        began, cpu = time.perf_counter(), time.process_time()
        result = work()
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def _measure(database: peewee.Database, rows: int, deadline: float, runs: int
             ) -> dict[str, Any]:
    migrations.migrate(database)
    figures: dict[str, Any] = {"rows": rows}
    filled: list[float] = []
    rebuild_s = fill_then_figures(database, lambda: filled.append(
        _fill(database, rows, deadline) + _shape(database, rows)))
    figures["fill_s"] = round(filled[0], 1)
    figures["figures_rebuild_s"] = round(rebuild_s, 1)
    sqlite = isinstance(database, peewee.SqliteDatabase)
    baselines = (("count_all", "SELECT count(*) FROM ticket_sla"),
                 ("read_all_json", "SELECT sum(length(clocks)) FROM ticket_sla"),
                 ("parse_all_json", "SELECT count(*) FROM ticket_sla s, json_each(s.clocks)"
                  if sqlite else "SELECT count(*) FROM ticket_sla s, "
                  "jsonb_each(s.clocks::jsonb)"))
    for name, sql in baselines:
        wall, cpu, _ = _median_s(lambda sql=sql: database.execute_sql(sql).fetchone()[0])
        figures[f"{name}_s"] = round(wall, 3) if not sqlite else [round(wall, 3),
                                                                  round(cpu, 3)]
    for by in ("team", "agent"):
        wall, cpu, report = _median_s(lambda by=by: sla_report(by, None, None, NOW), runs)
        figures[f"report_by_{by}_s"] = round(wall, 2) if not sqlite else [round(wall, 2),
                                                                         round(cpu, 2)]
        figures[f"groups_by_{by}"] = len(report.groups)
    total = report.total
    assert total.tickets == rows, (total.tickets, rows)
    figures["first_response_met_rate"] = round(total.clocks["first_response"].met_rate or 0, 3)
    figures["first_response_p50_p90_s"] = [total.times["first_response"].p50_s,
                                           total.times["first_response"].p90_s]
    return figures


def main() -> int:
    return timed_report_main(__doc__.split("\n\n")[0], _measure, "postdesk_sla_report_bench",
                             runs=RUNS)


if __name__ == "__main__":
    sys.exit(main())
