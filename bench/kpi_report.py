"""KPI report benchmark: `postdesk report kpi` over a million tickets.

    .venv/bin/python bench/kpi_report.py [--rows 1000000] [--pg URL | --no-pg] [--json]

For SQLite (a fresh file) and PostgreSQL (a fresh database, skipped when
unreachable), the tickets and clocks of bench/sla_report.py are filled in, then
spread over 52 weeks and given the events the KPI report reads: an agent's
reply on 90 % of the tickets (the acknowledgment), a resolution on 70 %, a
reopening and a second resolution on 5 %, and the requester's own mail on
each (not a touch): about 2.7 million events. The per-ticket figures the
reports read are then computed for all tickets at once, as migration 20's
back-fill does (`figures_rebuild_s`; the triggers that keep them current are
off during the bulk fill). Timed (median of --runs, default 3; on SQLite also
the CPU seconds of this process):

* the report, `postdesk.report.kpi_query.kpi_report`, by team (which also
  gives the per-agent lines) and by agent, over the whole year;
* the report by team over one month (September);
* the baselines in the same run: the SLA report alone (`sla_report`, which the
  KPI report includes) and `count(*)` of the events, the floor of any report
  that looks at each ticket's history;
* what keeping the figures costs a write: milliseconds per event added (an
  agent's reply) with the triggers and, as the baseline, without them.

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

from _databases import fill_then_figures, timed_report_main
from postdesk.report.kpi_query import kpi_report
from postdesk.report.sla_query import sla_report
from sla_report import RUNS, STEP, _median_s, _shape
from sla_scan import _fill

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
CLOSED = ("resolved", "closed")


def _events(database: peewee.Database, rows: int) -> float:
    """Creation times over 52 weeks and the events of each ticket; seconds taken."""
    began = time.perf_counter()
    pg = isinstance(database, peewee.PostgresqlDatabase)
    mod = "%%" if pg else "%"

    def later(column: str, minutes: str) -> str:
        if pg:
            return f"{column} + ({minutes}) * INTERVAL '1 minute'"
        return f"datetime({column}, '+' || ({minutes}) || ' minutes')"

    spread = later("TIMESTAMP '2026-03-02 09:00:00'" if pg else "'2026-03-02 09:00:00'",
                   f"(CAST(id AS BIGINT) * 7919) {mod} 524160")
    events = (
        # (kind, data, actor, minutes after creation, which tickets)
        ("message.received", '{"message": 0}', "'bench@customer.example'", "0", "1 = 1"),
        ("message.sent", '{"message": 0}', f"'agent' || (id {mod} 40) || '@example.com'",
         f"(id * 31) {mod} 2880", f"id {mod} 10 < 9"),
        ("status.changed", '{"old": "in_progress", "new": "resolved"}',
         f"'agent' || (id {mod} 40) || '@example.com'", f"2880 + (id * 17) {mod} 5760",
         f"id {mod} 10 < 7"),
        ("status.changed", '{"old": "resolved", "new": "in_progress"}',
         "'bench@customer.example'", "8700", f"id {mod} 20 = 0"),
        ("status.changed", '{"old": "in_progress", "new": "resolved"}',
         f"'agent' || (id {mod} 40) || '@example.com'", "9000", f"id {mod} 20 = 0"),
    )
    for low in range(1, rows + 1, STEP):
        high = min(rows, low + STEP - 1)
        span = f"id BETWEEN {low} AND {high}"
        with database.atomic():
            database.execute_sql(f"UPDATE ticket SET created_at = {spread} WHERE {span}")
            for kind, data, actor, minutes, which in events:
                database.execute_sql(
                    "INSERT INTO event (ticket_id, kind, data, actor, rule, created_at) "
                    f"SELECT id, '{kind}', '{data}', {actor}, NULL, "
                    f"{later('created_at', minutes)} FROM ticket WHERE {span} AND {which}")
    database.execute_sql("ANALYZE")
    return time.perf_counter() - began


def _timed(sqlite: bool, wall: float, cpu: float) -> Any:
    return [round(wall, 2), round(cpu, 2)] if sqlite else round(wall, 2)


def _measure(database: peewee.Database, rows: int, deadline: float, runs: int
             ) -> dict[str, Any]:
    from postdesk.store import migrations

    migrations.migrate(database)
    figures: dict[str, Any] = {"rows": rows}
    filled: list[float] = []
    rebuild_s = fill_then_figures(database, lambda: filled.append(
        _fill(database, rows, deadline) + _shape(database, rows) + _events(database, rows)))
    figures["fill_s"] = round(filled[0], 1)
    figures["figures_rebuild_s"] = round(rebuild_s, 1)
    sqlite = isinstance(database, peewee.SqliteDatabase)
    wall, cpu, events = _median_s(
        lambda: database.execute_sql("SELECT count(*) FROM event").fetchone()[0], runs)
    figures["events"] = events
    figures["baseline_count_events_s"] = _timed(sqlite, wall, cpu)
    wall, cpu, _ = _median_s(lambda: sla_report("team", None, None, NOW), runs)
    figures["baseline_sla_report_by_team_s"] = _timed(sqlite, wall, cpu)
    for by in ("team", "agent"):
        wall, cpu, report = _median_s(
            lambda by=by: kpi_report(by, None, None, NOW, CLOSED), runs)
        figures[f"kpi_report_by_{by}_s"] = _timed(sqlite, wall, cpu)
    total = report.total
    assert total.counts.created == rows, (total.counts.created, rows)
    figures["resolved_reopened"] = [total.counts.resolved, total.counts.reopened]
    figures["acknowledgment_p50_p90_s"] = [total.acknowledgment.p50_s,
                                           total.acknowledgment.p90_s]
    figures["weeks"] = len(report.weeks)
    month = (datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
    wall, cpu, _ = _median_s(lambda: kpi_report("team", *month, NOW, CLOSED), runs)
    figures["kpi_report_one_month_by_team_s"] = _timed(sqlite, wall, cpu)
    figures["event_insert_with_without_figures_ms"] = _upkeep_ms(database, rows)
    return figures


def _upkeep_ms(database: peewee.Database, rows: int, count: int = 2000) -> list[float]:
    """What keeping the figures costs a write: milliseconds per agent reply event added to
    a ticket of the filled desk (100 per transaction, tickets spread over the table), with
    the triggers, then without them (the baseline); the triggers are put back."""
    from postdesk.store import ticket_figures
    from postdesk.store.ticket_figures_sql import TRIGGERS

    pg = isinstance(database, peewee.PostgresqlDatabase)
    marker = "%s" if pg else "?"
    insert = ("INSERT INTO event (ticket_id, kind, data, actor, rule, created_at) VALUES "
              f"({marker}, 'message.sent', '{{}}', 'agent7@example.com', NULL, {marker})")

    when: Any = datetime(2027, 2, 1, 10) if pg else "2027-02-01 10:00:00"

    def add(offset: int) -> float:
        began = time.perf_counter()
        for first in range(0, count, 100):
            with database.atomic():
                for n in range(first, first + 100):
                    ticket = (n * 7919 + offset) % rows + 1
                    database.execute_sql(insert, [ticket, when])
        return (time.perf_counter() - began) * 1000 / count

    with_triggers = add(1)
    for name, table in TRIGGERS.items():
        database.execute_sql(f'DROP TRIGGER IF EXISTS "{name}"' + (f' ON "{table}"' if pg else ""))
    without = add(2)
    ticket_figures.install(database)
    return [round(with_triggers, 3), round(without, 3)]


def main() -> int:
    return timed_report_main(__doc__.split("\n\n")[0], _measure, "postdesk_kpi_report_bench",
                             timeout=1800.0, runs=RUNS)


if __name__ == "__main__":
    sys.exit(main())
