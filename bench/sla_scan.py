"""SLA scan benchmark: find the due clocks among a million open tickets.

    .venv/bin/python bench/sla_scan.py [--rows 1000000] [--pg URL | --no-pg] [--json]

For SQLite (a fresh file in a temporary folder) and PostgreSQL (a fresh
database on the server of --pg, default $POSTDESK_BENCH_PG_SERVER or the
local one; skipped when unreachable):

1. create the desk's schema (migrations, with ticket_sla of migration 6) and
   fill it with N tickets and N ticket_sla rows whose next_at is spread
   uniformly over 30 days (INSERT ... SELECT in the database: seconds);
2. time the scan's query, `postdesk.sla.tracking.scan.due_rows(now, 500)` (the
   indexed `next_at <= now ORDER BY next_at, id LIMIT 500`), for a `now` one
   minute (a scan every minute: ~23 due rows per million) and one hour (a
   scheduler that was down: ~1,400) after the start, walking every batch;
   median of 7 runs, after one warm-up run;
3. the baseline in the same run: `SELECT count(*) FROM ticket_sla`, the
   cheapest query that touches every row (median of 7);
4. print the figures and the plan of the scan query, then remove the
   SQLite folder / drop the PostgreSQL database (also on failure or Ctrl-C).

Bounded: filling stops with an error after --timeout seconds (default 600).
Prints figures; it is not a test.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))

import peewee

from _databases import engine_arguments, measured, median_ms, on_each_engine
from postdesk.sla.tracking.scan import SCAN_BATCH, due_rows
from postdesk.store import migrations
from postdesk.store.migrations import m0006_ticket_sla
from postdesk.store.sla_store import TicketSla

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SPREAD_S = 30 * 86400


def _fill(database: peewee.Database, rows: int, deadline: float) -> float:
    """Tickets and their ticket_sla rows, generated inside the database; seconds taken."""
    began = time.perf_counter()
    naive = START.replace(tzinfo=None).isoformat(sep=" ")
    pg = isinstance(database, peewee.PostgresqlDatabase)
    with database.atomic():
        database.execute_sql(
            "INSERT INTO customer (email, name, bouncing, created_at) "
            f"VALUES ('bench@customer.example', '', {'FALSE' if pg else '0'}, '{naive}')")
        customer = database.execute_sql(
            "SELECT id FROM customer WHERE email = 'bench@customer.example'").fetchone()[0]
    step = 100_000
    for first in range(1, rows + 1, step):
        if time.monotonic() > deadline:
            raise TimeoutError(f"filling stopped at {first - 1} rows: --timeout reached")
        last = min(rows, first + step - 1)
        if pg:
            series = f"generate_series({first}, {last}) AS s(i)"
            spread = f"TIMESTAMP '{naive}' + floor(random() * {SPREAD_S}) * INTERVAL '1 second'"
        else:
            series = (f"(WITH RECURSIVE n(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM n "
                      f"WHERE i < {last}) SELECT i FROM n) AS s")
            spread = f"datetime('{naive}', '+' || (abs(random()) % {SPREAD_S}) || ' seconds')"
        with database.atomic():
            database.execute_sql(
                "INSERT INTO ticket (id, subject, status, priority, requester_id, tags, "
                "sla_paused, created_at, updated_at) "
                f"SELECT i, 'bench', 'new', 'normal', {customer}, '[]', "
                f"{'FALSE' if pg else '0'}, '{naive}', '{naive}' FROM {series}")
            database.execute_sql(
                "INSERT INTO ticket_sla (ticket_id, policy, clocks, fired, next_at, "
                f"updated_at) SELECT i, 'standard', '{{}}', '[]', {spread}, '{naive}' "
                f"FROM {series}")
    if pg:
        database.execute_sql("SELECT setval('ticket_id_seq', (SELECT max(id) FROM ticket))")
        database.execute_sql("ANALYZE ticket_sla")
    else:
        database.execute_sql("ANALYZE")
    return time.perf_counter() - began


def _walk(now: datetime) -> list[tuple[int, int, datetime]]:
    """Every due row, batch by batch, as one scan reads them."""
    found: list[tuple[int, int, datetime]] = []
    after = None
    while True:
        batch = due_rows(now, SCAN_BATCH, after)
        found += batch
        if len(batch) < SCAN_BATCH:
            return found
        after = (batch[-1][2], batch[-1][0])


def _measure(database: peewee.Database, rows: int, deadline: float) -> dict[str, Any]:
    migrations.migrate(database)
    m0006_ticket_sla.apply(database, None)  # type: ignore[arg-type]
    figures: dict[str, Any] = {"rows": rows, "fill_s": round(_fill(database, rows, deadline), 1)}
    count_ms, total = median_ms(
        lambda: database.execute_sql("SELECT count(*) FROM ticket_sla").fetchone()[0])
    assert total == rows, (total, rows)
    figures["count_all_ms"] = round(count_ms, 2)
    for label, ahead in (("minute", timedelta(minutes=1)), ("hour", timedelta(hours=1))):
        now = START + ahead
        scan_ms, due = median_ms(lambda now=now: _walk(now))
        figures[f"due_{label}"] = len(due)
        figures[f"scan_{label}_ms"] = round(scan_ms, 2)
    query = (TicketSla.select(TicketSla.id, TicketSla.ticket, TicketSla.next_at)
             .where(TicketSla.next_at <= START + timedelta(minutes=1))
             .order_by(TicketSla.next_at, TicketSla.id).limit(SCAN_BATCH))
    sql, params = query.sql()
    explain = "EXPLAIN QUERY PLAN " if isinstance(database, peewee.SqliteDatabase) else "EXPLAIN "
    plan = database.execute_sql(explain + sql, params).fetchall()
    figures["plan"] = " | ".join(str(row[-1]) for row in plan)
    return figures


def main() -> int:
    parser = engine_arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    results = on_each_engine(lambda database: _measure(database, args.rows, deadline), pg=args.pg,
                             no_pg=args.no_pg, prefix="postdesk_sla_bench")
    for engine, figures in measured(results, args.json):
        print(f"{engine}: {figures['rows']:,} open tickets with clocks "
              f"(filled in {figures['fill_s']} s)")
        print(f"  scan query, due within 1 minute: {figures['due_minute']:>5} rows in "
              f"{figures['scan_minute_ms']:8.2f} ms")
        print(f"  scan query, due within 1 hour:   {figures['due_hour']:>5} rows in "
              f"{figures['scan_hour_ms']:8.2f} ms")
        print(f"  baseline count(*) of all rows:   {figures['rows']:>5} rows in "
              f"{figures['count_all_ms']:8.2f} ms")
        print(f"  plan: {figures['plan']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
