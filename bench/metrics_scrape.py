"""What a Prometheus scrape of the desk costs, on a big SQLite database.

    .venv/bin/python bench/metrics_scrape.py [--rows 200000] [--json]

1. A fresh SQLite file (temporary folder, removed at the end) with the desk's
   schema and N inbound mails (done, processed 0-30 s after receipt), N
   outbox rows (sent) and 2N events on one ticket, 1 % of them SLA breaches;
   generated inside the database.
2. The collectors of `postdesk.serve.metrics` (a registry as `serve` builds it, so
   the latency scan starts at "node start"), then the text exposition
   (`generate_latest`), timed: the first scrape (the SLA counters read every
   SLA event once), then steady scrapes, each after 200 more mails were
   processed and 20 events recorded (what 15 s of a busy desk adds). Median
   of 7; wall-clock and CPU time of this process.
3. The baseline in the same run: `SELECT count(*)` over inbound and over
   event, the cheapest queries that touch every row (median of 7).
Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))

from prometheus_client import generate_latest

from postdesk.config.settings import Settings
from postdesk.serve.metrics import make_registry
from postdesk.store import db, migrations

RUNS = 7
NAIVE_NOW = "datetime('now')"


def _series(first: int, last: int) -> str:
    return (f"(WITH RECURSIVE n(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM n "
            f"WHERE i < {last}) SELECT i FROM n) AS s")


def _fill(database: Any, rows: int, first: int = 1) -> None:
    last = first + rows - 1
    series = _series(first, last)
    received = f"datetime('now', '-' || (({last} - i) / 10 + 120) || ' seconds')"
    with database.atomic():
        if first == 1:
            database.execute_sql("INSERT INTO customer (email, name, bouncing, created_at) "
                                 "VALUES ('bench@customer.example', '', 0, datetime('now'))")
            database.execute_sql("INSERT INTO ticket (subject, status, priority, requester_id, "
                                 "tags, sla_paused, created_at, updated_at) VALUES ('bench', "
                                 "'new', 'normal', 1, '[]', 0, datetime('now'), "
                                 "datetime('now'))")
        database.execute_sql(
            "INSERT INTO inbound (received_at, source, peer, mail_from, rcpt_to, raw, size, "
            "sha256, state, reason, attempts, processed_at) "
            f"SELECT {received}, 'smtp', '', 'a@b.example', '[]', x'00', 1, 'h', 'done', '', 1, "
            f"datetime({received}, '+' || (abs(random()) % 30) || ' seconds') FROM {series}")
        database.execute_sql(
            "INSERT INTO outbox (kind, recipient, message_id, automatic, context, headers, "
            "state, attempts, next_attempt_at, last_error, created_at) "
            "SELECT 'ack', 'a@b.example', 'm' || i || '@bench', 1, '{}', '{}', 'sent', 1, "
            f"{received}, '', {received} FROM {series}")
        database.execute_sql(
            "INSERT INTO event (ticket_id, kind, data, actor, created_at) "
            "SELECT 1, CASE WHEN i % 100 = 0 THEN 'sla.breached' ELSE 'message.received' END, "
            "'{\"clock\": \"first_response\"}', 'system', datetime('now', '-120 seconds') "
            f"FROM {_series(2 * first, 2 * last + 1)}")


def _median(work: Callable[[], Any], before: Callable[[], None] = lambda: None
            ) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(RUNS):
        before()
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="postdesk-bench-metrics-"))
    try:
        database = db.connect(f"sqlite:///{folder / 'postdesk.db'}")
        with database.connection_context():
            migrations.migrate(database)
            began = time.perf_counter()
            _fill(database, args.rows)
            filled = time.perf_counter() - began
        registry = make_registry(Settings(), lambda: True)
        wall, cpu = time.perf_counter(), time.process_time()
        size = len(generate_latest(registry))
        first = ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
        added = [args.rows + 1]

        def more_mail() -> None:
            with database.connection_context():
                _fill(database, 200, added[0])
            added[0] += 200

        steady = _median(lambda: generate_latest(registry), more_mail)

        def counts() -> None:
            with database.connection_context():
                database.execute_sql("SELECT count(*) FROM inbound").fetchone()
                database.execute_sql("SELECT count(*) FROM event").fetchone()

        baseline = _median(counts)
        figures = {"rows": args.rows, "fill_s": round(filled, 1), "exposition_bytes": size,
                   "first_scrape_ms": [round(v, 1) for v in first],
                   "steady_scrape_ms": [round(v, 1) for v in steady],
                   "baseline_two_counts_ms": [round(v, 1) for v in baseline]}
        if args.json:
            print(json.dumps(figures))
        else:
            print(f"{args.rows:,} inbound, {args.rows:,} outbox, {2 * args.rows:,} events "
                  f"(filled in {filled:.1f} s); [wall ms, CPU ms], median of {RUNS}")
            print(f"first scrape             {first[0]:8.1f} {first[1]:8.1f}")
            print(f"steady scrape (+200 mails){steady[0]:7.1f} {steady[1]:8.1f}")
            print(f"baseline: 2 x count(*)   {baseline[0]:8.1f} {baseline[1]:8.1f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
