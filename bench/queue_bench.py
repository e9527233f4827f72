"""Queue benchmark: `postdesk queue NAME --json` on a million tickets, SQLite and PostgreSQL.

    .venv/bin/python bench/queue_bench.py [--rows 1000000] [--pg URL | --no-pg] [--json]

For SQLite (a fresh file in a temporary folder) and PostgreSQL (a fresh
database on the server of --pg, default $POSTDESK_BENCH_PG_SERVER or the
local one; skipped when unreachable):

1. create the desk's schema (migrations up to 7) and fill it, inside the
   database (INSERT ... SELECT, seconds), with N tickets from 1,000 customers:
   85 % resolved or closed, the rest new / triage / in_progress /
   waiting_for_customer; a team (support, hardware, none), a request type
   (general, hardware, software, access), a third unassigned, every 25th
   subject about a printer; and N ticket_sla rows: closed tickets `met`, open
   ones `ok` (due spread over the next 3 days, warned 1 h before) or paused;
2. time what `postdesk queue NAME --json` does after loading the settings,
   `queue_tickets()` (one page in the queue's order, live SLA per clock in
   the shipped office calendar) plus `json.dumps`, for the shipped queues
   and a `subject_contains` one (a text search: SQLite's trigram index of
   subjects, `postdesk.store.subject_index`; ILIKE on PostgreSQL),
   and `queue_count()` as `postdesk queue` lists it; median of 7 after one
   warm-up;
3. the baseline in the same run: `SELECT count(*) FROM ticket` (median of 7);
   on SQLite also the CPU time of 500 new tickets, one transaction each, with
   the subject index's triggers and then without them;
4. print the figures and each query's plan, then remove the database.

Wall-clock figures on a shared machine: compare them with the baseline of
the same run. Prints figures; it is not a test.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# This file's name is also the standard library's `queue`: search this folder last.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE)]
sys.path.insert(0, str(_HERE.parent / "daemon"))

import peewee  # noqa: E402

from _databases import engine_arguments, measured, median_ms, on_each_engine  # noqa: E402
from postdesk.sla import load_sla  # noqa: E402
from postdesk.store import (  # noqa: E402
    migrations,
    subject_index,
)
from postdesk.store.queue_pages import page_queries, queue_count  # noqa: E402
from postdesk.ticket_queues.loader import load_queues, parse_queues  # noqa: E402
from postdesk.ticket_queues.model import Queue  # noqa: E402
from postdesk.ticket_queues.query import queue_tickets  # noqa: E402

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = Path(__file__).resolve().parent.parent / "rules"
EXTRA = parse_queues("""\
queues:
  - name: printers
    if: {subject_contains: printer, status: [new, triage, in_progress]}
    sort: [created]
""")
OPEN = ("new", "triage", "in_progress", "waiting_for_customer")
CLOCKS = json.dumps({
    "first_response": {"state": "running", "due": "2026-03-03T10:00:00+01:00",
                       "elapsed_s": 3600, "remaining_s": 10800, "target_s": 14400,
                       "counting": True, "warn_at": "2026-03-03T09:00:00+01:00",
                       "paused": [], "cycle": 1},
    "resolution": {"state": "running", "due": "2026-03-05T10:00:00+01:00",
                   "elapsed_s": 3600, "remaining_s": 54000, "target_s": 57600,
                   "counting": True, "warn_at": "2026-03-05T09:00:00+01:00",
                   "paused": [], "cycle": 1}})


def _series(pg: bool, first: int, last: int) -> str:
    if pg:
        return f"generate_series({first}, {last}) AS s(i)"
    return (f"(WITH RECURSIVE n(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM n "
            f"WHERE i < {last}) SELECT i FROM n) AS s")


def _case(expression: str, values: tuple[str, ...]) -> str:
    """SQL picking values[expression] (expression: 0 .. len-1); NULL spelt as None."""
    arms = " ".join(f"WHEN {n} THEN {'NULL' if v == 'None' else repr(v)}"
                    for n, v in enumerate(values))
    return f"CASE {expression} {arms} END"


def _fill(database: peewee.Database, rows: int) -> float:
    began = time.perf_counter()
    pg = isinstance(database, peewee.PostgresqlDatabase)
    naive = NOW.replace(tzinfo=None).isoformat(sep=" ")
    false = "FALSE" if pg else "0"

    def run(sql: str) -> None:
        database.execute_sql(sql.replace("%", "%%") if pg else sql)  # psycopg: %% is %

    def shifted(seconds: str) -> str:
        return (f"TIMESTAMP '{naive}' + ({seconds}) * INTERVAL '1 second'" if pg
                else f"datetime('{naive}', ({seconds}) || ' seconds')")

    with database.atomic():
        run(
            "INSERT INTO customer (email, name, language, bouncing, created_at) "
            f"SELECT 'customer' || i || '@bench.example', 'Customer ' || i, 'en', {false}, "
            f"'{naive}' FROM {_series(pg, 1, 1000)}")
    status = _case("i % 20", (*OPEN, *(["resolved"] * 10), *(["closed"] * 6)))
    step = 100_000
    for first in range(1, rows + 1, step):
        series = _series(pg, first, min(rows, first + step - 1))
        with database.atomic():
            run(
                "INSERT INTO ticket (id, subject, status, priority, requester_id, assignee, "
                "team, request_type, tags, sla_paused, created_at, updated_at) SELECT i, "
                "CASE WHEN i % 25 = 0 THEN 'Printer ' || i || ' jams' ELSE 'Ticket ' || i END, "
                f"{status}, CASE WHEN i % 50 = 0 THEN 'urgent' WHEN i % 10 = 0 THEN 'high' "
                f"ELSE 'normal' END, 1 + i % 1000, "
                f"CASE WHEN i % 3 = 0 THEN NULL ELSE 'agent' || (i % 7) || '@example.com' END, "
                f"{_case('i % 3', ('support', 'hardware', 'None'))}, "
                f"{_case('i % 4', ('general', 'hardware', 'software', 'access'))}, "
                f"'[]', {false}, {shifted('-(i % 2592000)')}, {shifted('-(i % 86400)')} "
                f"FROM {series}")
            run(
                "INSERT INTO ticket_sla (ticket_id, policy, clocks, fired, state, due_at, "
                "warn_at, updated_at) SELECT i, 'standard', "
                f"CASE WHEN i % 20 < 4 THEN '{CLOCKS}' ELSE '{{}}' END, '[]', "
                "CASE WHEN i % 20 >= 4 THEN 'met' WHEN i % 20 = 3 THEN 'paused' ELSE 'ok' END, "
                f"CASE WHEN i % 20 < 3 THEN {shifted('i % 259200')} END, "
                f"CASE WHEN i % 20 < 3 THEN {shifted('i % 259200 - 3600')} END, "
                f"'{naive}' FROM {series}")
    if not pg:  # as migration 10 leaves a desk's subject index after indexing every ticket
        subject_index.merge(database)
    if pg:  # autovacuum analyses a real desk's tables; SQLite desks are never ANALYZEd
        database.execute_sql("SELECT setval('ticket_id_seq', (SELECT max(id) FROM ticket))")
        database.execute_sql("ANALYZE")
    return time.perf_counter() - began


def _plan(database: peewee.Database, queue: Queue) -> str:
    """The plan of the first query that reads the queue's page."""
    sql, params = page_queries(queue, NOW, queue.limit)[0].sql()
    sqlite = isinstance(database, peewee.SqliteDatabase)
    rows = database.execute_sql(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql,
                                params).fetchall()
    return " | ".join(str(row[-1]).strip() for row in rows)


def _insert_cpu_us(database: peewee.Database, count: int = 500) -> float:
    """CPU microseconds per new ticket, each in its own transaction as intake commits it."""
    began = time.process_time()
    for n in range(count):
        with database.atomic():
            database.execute_sql(
                "INSERT INTO ticket (subject, status, priority, requester_id, tags, sla_paused, "
                "created_at, updated_at) VALUES (?, 'new', 'normal', 1, '[]', ?, ?, ?)",
                (f"Drukarka w pokoju {n} nie drukuje: printer jam", False, NOW, NOW))
    return (time.process_time() - began) / count * 1e6


def _trigger_cost(database: peewee.Database) -> dict[str, float]:
    """What the subject index's triggers add to each new ticket (SQLite; then drops them)."""
    with_index = _insert_cpu_us(database)
    for name in ("insert", "update", "delete"):
        database.execute_sql(f'DROP TRIGGER "ticket_subject_search_{name}"')
    return {"with_index": round(with_index), "without": round(_insert_cpu_us(database))}


def _measure(database: peewee.Database, rows: int) -> dict[str, Any]:
    migrations.migrate(database)
    figures: dict[str, Any] = {"rows": rows, "fill_s": round(_fill(database, rows), 1)}
    baseline_ms, total = median_ms(
        lambda: database.execute_sql("SELECT count(*) FROM ticket").fetchone()[0])
    assert total == rows, (total, rows)
    figures["count_all_ms"] = round(baseline_ms, 2)
    sla = load_sla(RULES / "sla.yaml")
    queues = [*load_queues(RULES).queues, *EXTRA.queues]
    figures["queues"] = {}
    for queue in queues:
        json_ms, shown = median_ms(lambda q=queue: json.dumps(queue_tickets(q, NOW, sla=sla)))
        count_ms, count = median_ms(lambda q=queue: queue_count(q, NOW))
        figures["queues"][queue.name] = {
            "shown": len(json.loads(shown)), "count": count, "json_ms": round(json_ms, 2),
            "count_ms": round(count_ms, 2), "plan": _plan(database, queue)}
    if subject_index.usable(database):
        figures["insert_cpu_us"] = _trigger_cost(database)
    return figures


def main() -> int:
    parser = engine_arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--plans", action="store_true", help="Print each query's plan.")
    args = parser.parse_args()
    results = on_each_engine(lambda database: _measure(database, args.rows), pg=args.pg,
                             no_pg=args.no_pg, prefix="postdesk_queue_bench")
    for engine, figures in measured(results, args.json):
        print(f"{engine}: {figures['rows']:,} tickets (filled in {figures['fill_s']} s); "
              f"baseline count(*) of all tickets {figures['count_all_ms']:.2f} ms")
        print(f"  {'queue':<22} {'count':>8} {'shown':>6} {'--json ms':>10} {'count ms':>9}")
        for name, q in figures["queues"].items():
            print(f"  {name:<22} {q['count']:>8,} {q['shown']:>6} {q['json_ms']:>10.2f} "
                  f"{q['count_ms']:>9.2f}")
            if args.plans:
                print(f"    plan: {q['plan']}")
        if "insert_cpu_us" in figures:
            cost = figures["insert_cpu_us"]
            print(f"  CPU per new ticket (own transaction): {cost['with_index']} us with the "
                  f"subject index, {cost['without']} us without its triggers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
