"""What the thread pin of the database proxy costs (`postdesk.store.db.pinned`).

    .venv/bin/python bench/db_proxy.py [--queries 20000]

`database.obj` is a property on the desk's proxy (a thread may pin the proxy to one
database), where peewee's own proxy has a plain slot. Every query of the desk goes
through the proxy a few times, so the figures: the attribute read alone, and a
primary-key SELECT through a model on an SQLite file, with peewee's proxy (the
baseline) and the desk's, unpinned and pinned, in the same run, taking turns; best
of 5 rounds.
Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))

import peewee

from postdesk.store.db import _DeskDatabaseProxy, pinned

ROUNDS = 5


def per_call(work: Callable[[], None], count: int) -> float:
    """Microseconds per call of one run of `work` (`count` calls)."""
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) / count * 1e6


def _read(proxy: peewee.DatabaseProxy, count: int) -> None:
    for _ in range(count):
        proxy.obj  # noqa: B018


def _query(model: type[peewee.Model], count: int) -> None:
    for i in range(count):
        model.get_by_id(i % 100 + 1)


def _reads_per_query(db: peewee.Database) -> int:
    """How often one primary-key SELECT reads the proxy's `obj`."""
    seen = [0]

    class Counting(_DeskDatabaseProxy):
        @property
        def obj(self) -> object:
            seen[0] += 1
            return db

        @obj.setter
        def obj(self, value: object) -> None:
            pass

    model = model_on(Counting())
    model.get_by_id(1)
    seen[0] = 0
    model.get_by_id(2)
    return seen[0]


def model_on(proxy: peewee.DatabaseProxy) -> type[peewee.Model]:
    class Row(peewee.Model):
        name = peewee.CharField()

        class Meta:
            database = proxy
            table_name = "row"

    return Row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=20000)
    args = parser.parse_args()
    n = args.queries
    with tempfile.TemporaryDirectory() as folder:
        db = peewee.SqliteDatabase(str(Path(folder) / "proxy.db"))
        plain, desk = peewee.DatabaseProxy(), _DeskDatabaseProxy()
        plain.initialize(db)
        desk.initialize(db)
        db.connect()
        model_on(plain).create_table()
        model_on(plain).insert_many([{"name": f"r{i}"} for i in range(100)]).execute()
        proxies = {"peewee's proxy (baseline)": (plain, False),
                   "desk proxy, not pinned": (desk, False), "desk proxy, pinned": (desk, True)}
        reads: dict[str, list[float]] = {label: [] for label in proxies}
        queries: dict[str, list[float]] = {label: [] for label in proxies}
        for _ in range(ROUNDS):  # the variants take turns: a slower moment hits them alike
            for label, (proxy, pin) in proxies.items():
                with pinned(db) if pin else nullcontext():
                    reads[label].append(per_call(lambda p=proxy: _read(p, n * 10), n * 10))
                    model = model_on(proxy)
                    queries[label].append(per_call(lambda m=model: _query(m, n), n))
        figures = {label: (min(reads[label]), min(queries[label])) for label in proxies}
        counted = _reads_per_query(db)
        db.close()
    base_read, base_query = figures["peewee's proxy (baseline)"]
    print(f"{n} primary-key SELECTs on SQLite, best of {ROUNDS} interleaved rounds; "
          f"one SELECT reads proxy.obj {counted} times")
    for label, (read, query) in figures.items():
        print(f"  {label:28} proxy.obj {read * 1000:6.1f} ns ({read - base_read:+.3f} µs)"
              f"   query {query:6.2f} µs ({(query - base_query) / base_query:+.1%})")
    extra = max(figures[label][0] - base_read for label in figures) * counted
    print(f"  the reads' own share of a SELECT: {extra:.3f} µs of {base_query:.2f} µs "
          f"({extra / base_query:.2%}); the query columns also carry the machine's noise")


if __name__ == "__main__":
    main()
