"""Throw-away databases for the benchmarks that fill a million rows: a SQLite file in a
temporary folder, a fresh PostgreSQL database (dropped at the end, also on failure or
Ctrl-C), and the median timing both report."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))

import peewee

from _common import work_folder
from postdesk.store import db

PG_SERVER = os.environ.get("POSTDESK_BENCH_PG_SERVER",
                           "postgresql://postgres@127.0.0.1:5432/postgres")
RUNS = 7


def median_ms(work: Callable[[], Any], runs: int = RUNS) -> tuple[float, Any]:
    """Median wall-clock milliseconds of `runs` calls after one warm-up, and the result."""
    result = work()  # warm-up
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


@contextmanager
def sqlite_database(prefix: str) -> Iterator[peewee.Database]:
    folder = work_folder(prefix)
    database = db.connect(f"sqlite:///{folder / 'bench.db'}")
    try:
        with database.connection_context():
            yield database
    finally:
        database.close()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_database(server: str, prefix: str) -> Iterator[peewee.Database]:
    import psycopg

    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server, autocommit=True, connect_timeout=3) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database = db.connect(f"{server.rsplit('/', 1)[0]}/{name}")
    try:
        with database.connection_context():
            yield database
    finally:
        database.close()
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def unreachable(server: str) -> str | None:
    """Why the PostgreSQL server cannot be used (None: it can)."""
    try:
        import psycopg

        psycopg.connect(server, connect_timeout=3).close()
    except Exception as exc:
        return str(exc).strip().splitlines()[0]
    return None


def on_each_engine(measure: Callable[[peewee.Database], dict[str, Any]], *, pg: str,
                   no_pg: bool, prefix: str) -> dict[str, Any]:
    """`measure` on a fresh SQLite file, then on a fresh PostgreSQL database (or why not)."""
    results: dict[str, Any] = {}
    with sqlite_database(prefix.replace("_", "-") + "-") as database:
        results["sqlite"] = measure(database)
    why_not = "--no-pg" if no_pg else unreachable(pg)
    if why_not is None:
        with postgres_database(pg, prefix) as database:
            results["postgresql"] = measure(database)
    else:
        results["postgresql"] = {"skipped": why_not}
    return results


def measured(results: dict[str, Any], as_json: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    """The engines that were measured, for printing; prints the JSON, or the skipped ones."""
    if as_json:
        print(json.dumps(results, indent=2))
        return
    for engine, figures in results.items():
        if "skipped" in figures:
            print(f"{engine}: skipped ({figures['skipped']})")
        else:
            yield engine, figures


def engine_arguments(description: str) -> argparse.ArgumentParser:
    """--rows, --pg, --no-pg and --json, shared by the million-row benchmarks."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", default=PG_SERVER, help="PostgreSQL server (admin URL)")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--json", action="store_true")
    return parser


def timed_report_main(description: str, measure: Callable[..., dict[str, Any]], prefix: str,
                      *, timeout: float = 900.0, runs: int = 3) -> int:
    """The command line of a report benchmark (bench/sla_report.py, bench/kpi_report.py):
    engine_arguments plus --timeout and --runs; `measure(database, rows, deadline, runs)`
    on each engine, its figures printed one per line (or as JSON)."""
    parser = engine_arguments(description)
    parser.add_argument("--timeout", type=float, default=timeout)
    parser.add_argument("--runs", type=int, default=runs, help="report runs (median)")
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    results = on_each_engine(lambda database: measure(database, args.rows, deadline, args.runs),
                             pg=args.pg, no_pg=args.no_pg, prefix=prefix)
    for engine, figures in measured(results, args.json):
        print(f"{engine}:")
        for key, value in figures.items():
            print(f"  {key:<32} {value}")
    return 0


def fill_then_figures(database: peewee.Database, fill: Callable[[], object]) -> float:
    """Run `fill` (bulk inserts) without the triggers and indexes of the reports'
    per-ticket figures, then compute every ticket's figures and add them back, as
    migration 20's back-fill does; the seconds that took (the fill's own are the
    caller's). A trigger per inserted row would make a million-ticket fill take far
    longer than a desk ever spends in one go."""
    from postdesk.store import ticket_figures

    ticket_figures.uninstall(database)
    fill()
    began = time.perf_counter()
    with database.atomic():
        ticket_figures.rebuild(database, batch=100_000)
        ticket_figures.install(database)
    # PostgreSQL: as autovacuum leaves a loaded table (index-only scans need the
    # visibility map); SQLite: the planner's statistics
    database.execute_sql("VACUUM ANALYZE" if isinstance(database, peewee.PostgresqlDatabase)
                         else "ANALYZE")
    return time.perf_counter() - began
