"""CSAT figures benchmark: the satisfaction part of `postdesk report kpi` over many surveys.

    .venv/bin/python bench/csat_kpi.py [--rows 1000000] [--pg URL | --no-pg] [--json]

For SQLite (a fresh file) and PostgreSQL (a fresh database, skipped when
unreachable), `--rows` tickets are made (bench/sla_scan.py's fill), and a
satisfaction survey for 70 % of them spread over 52 weeks: sent for 9 in 10
(still held for the rest), a rating on 40 % of the sent ones (1 to 5, a face on
every tenth survey) and cancelled for 1 in 50. Timed (median of --runs; on
SQLite also this process's CPU):

* `store.csat_figures.csat_counts` (per team and agent of the surveys, one statement
  over the survey table's figures index, which holds the groups since migration 22;
  before it, a join to `ticket_figures` per survey) over the whole year and over one
  month, and per agent over the year;
* the baselines in the same run: `count(*)` of the survey rows, the floor of any
  figure that looks at each of them, and the desk's total alone over the year
  (the same index range without grouping: what the report counted before it
  grouped the surveys).

Prints figures; it is not a test. The databases are removed afterwards.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import peewee

from _databases import timed_report_main
from postdesk.report.kpi_summary import CsatFigures
from postdesk.store.csat_figures import csat_counts
from postdesk.tickets.csat_scale import SCALES
from sla_report import RUNS, STEP, _median_s
from sla_scan import _fill

TOP = {scale.name: scale.top for scale in SCALES.values()}
YEAR = (datetime(2026, 3, 2, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC))
MONTH = (datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
#: the baseline: the year's surveyed and rated for the desk alone, no join ({m}: the
#: engine's placeholder)
TOTAL_ALONE_SQL = ("SELECT COUNT(*), COUNT(rating) FROM csat_survey WHERE asked_at >= {m} "
                   "AND asked_at < {m} AND state <> 'cancelled' "
                   "AND (sent_at IS NOT NULL OR rating IS NOT NULL)")


def _surveys(database: peewee.Database, rows: int) -> float:
    """The surveys of 70 % of the tickets; seconds taken."""
    began = time.perf_counter()
    pg = isinstance(database, peewee.PostgresqlDatabase)
    mod = "%%" if pg else "%"
    start = "TIMESTAMP '2026-03-02 09:00:00'" if pg else "'2026-03-02 09:00:00'"
    minutes = f"(CAST(id AS BIGINT) * 7919) {mod} 524160"
    at = (f"{start} + ({minutes}) * INTERVAL '1 minute'" if pg
          else f"datetime({start}, '+' || ({minutes}) || ' minutes')")
    for low in range(1, rows + 1, STEP):
        span = f"id BETWEEN {low} AND {min(rows, low + STEP - 1)} AND id {mod} 10 < 7"
        with database.atomic():
            database.execute_sql(
                "INSERT INTO csat_survey (ticket_id, customer_id, resolution, scale, state, "
                "asked_at, sent_at, rating, comment, channel) "
                "SELECT id, requester_id, 1, "
                f"CASE WHEN id {mod} 100 < 10 THEN 'faces' ELSE '1-5' END, "
                f"CASE WHEN id {mod} 50 = 1 THEN 'cancelled' ELSE 'asked' END, {at}, "
                f"CASE WHEN id {mod} 10 = 3 THEN NULL ELSE {at} END, "
                f"CASE WHEN id {mod} 10 IN (0, 1, 2) AND id {mod} 100 < 10 "
                f"THEN 1 + (id / 10) {mod} 3 "
                f"WHEN id {mod} 10 IN (0, 1, 2) THEN 1 + (id / 10) {mod} 5 END, '', "
                f"CASE WHEN id {mod} 10 IN (0, 1, 2) THEN 'web' ELSE '' END "
                f"FROM ticket WHERE {span}")
    database.execute_sql("ANALYZE")
    return time.perf_counter() - began


def _stored(period: tuple[datetime, datetime], pg: bool) -> list[Any]:
    naive = [moment.replace(tzinfo=None) for moment in period]
    return naive if pg else [moment.isoformat(sep=" ") for moment in naive]


def _timed(sqlite: bool, wall: float, cpu: float) -> Any:
    return [round(wall, 3), round(cpu, 3)] if sqlite else round(wall, 3)


def _measure(database: peewee.Database, rows: int, deadline: float, runs: int
             ) -> dict[str, Any]:
    from postdesk.store import migrations

    migrations.migrate(database)
    figures: dict[str, Any] = {"rows": rows}
    figures["fill_s"] = round(_fill(database, rows, deadline) + _surveys(database, rows), 1)
    sqlite = isinstance(database, peewee.SqliteDatabase)
    wall, cpu, surveys = _median_s(
        lambda: database.execute_sql("SELECT count(*) FROM csat_survey").fetchone()[0], runs)
    figures["surveys"] = surveys
    figures["baseline_count_surveys_s"] = _timed(sqlite, wall, cpu)
    alone = TOTAL_ALONE_SQL.format(m="?" if sqlite else "%s")
    wall, cpu, _ = _median_s(
        lambda: database.execute_sql(alone, _stored(YEAR, pg=not sqlite)).fetchone(), runs)
    figures["baseline_year_total_alone_s"] = _timed(sqlite, wall, cpu)
    for name, by, (since, until) in (("year", "team", YEAR), ("month", "team", MONTH),
                                     ("year_by_agent", "agent", YEAR)):
        wall, cpu, counted = _median_s(
            lambda b=by, s=since, u=until: csat_counts(b, s, u, TOP), runs)
        figures[f"csat_counts_{name}_s"] = _timed(sqlite, wall, cpu)
        found = sum((CsatFigures(*row[2:]) for row in counted), CsatFigures())
        figures[f"{name}_groups_surveyed_rated_csat"] = [
            len(counted), found.surveyed, found.rated, round(found.csat or 0, 3)]
    return figures


def main() -> int:
    return timed_report_main(__doc__.split("\n\n")[0], _measure, "postdesk_csat_kpi_bench",
                             timeout=1800.0, runs=RUNS)


if __name__ == "__main__":
    sys.exit(main())
