"""What the chat edges' benchmarks share: a loopback server's own thread and loop, the
open-loop schedule, the committing stand-in intake, the posting phase and the spread."""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from _common import percentile
from postdesk.chat.model import ChatEvent
from postdesk.chat.platform import ChatIntake


class LoopThread:
    """An event loop in a thread of its own (the loopback platform's side), driven from
    the bench's loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, work: Awaitable[Any]) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(_awaited(work), self.loop)
        return future.result(timeout=120)

    def end(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


async def _awaited(work: Awaitable[Any]) -> Any:
    return await work


async def open_loop(rate: float, seconds: float, fire: Callable[[int], Any]) -> None:
    """Call fire(k) at k/rate seconds from now, for `seconds`."""
    start = time.perf_counter()
    for k in range(int(rate * seconds)):
        delay = start + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        fire(k)


def spread(values_ms: list[float]) -> dict[str, Any]:
    return {"p50_ms": percentile(values_ms, 50), "p99_ms": percentile(values_ms, 99),
            "max_ms": max(values_ms) if values_ms else None}


def committing_intake(database: Path) -> tuple[sqlite3.Connection, ChatIntake]:
    """The stand-in for the core's intake: each event INSERTed and COMMITted into an SQLite
    file (WAL, synchronous=FULL), deduplicated by its key."""
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE inbound (dedup TEXT PRIMARY KEY, raw BLOB)")

    async def commit(event: ChatEvent) -> bool:
        with connection:
            cursor = connection.execute("INSERT OR IGNORE INTO inbound VALUES (?, ?)",
                                        (event.dedup_key, event.to_json()))
        return cursor.rowcount == 1

    return connection, commit


async def posting_phase(rate: float, seconds: float,
                        post_one: Callable[[int], Awaitable[None]]) -> dict[str, Any]:
    """post_one(k) at the rate, each timed from its start to its return."""
    waits: list[float] = []
    tasks: list[asyncio.Task[None]] = []

    async def timed(k: int) -> None:
        started = time.perf_counter()
        await post_one(k)
        waits.append((time.perf_counter() - started) * 1000)

    await open_loop(rate, seconds, lambda k: tasks.append(asyncio.create_task(timed(k))))
    await asyncio.gather(*tasks)
    return {"posts": len(waits), **spread(waits)}


def run_from_command_line(description: str,
                          main: Callable[..., Coroutine[Any, Any, dict[str, Any]]],
                          show: Callable[[dict[str, Any]], None],
                          add_options: Callable[[argparse.ArgumentParser], None] | None = None
                          ) -> None:
    """`--rate`, `--seconds` and `--json`, as every chat bench takes them: run `main` and
    print its figures (as JSON, or with `show`). A bench's own options (`add_options`)
    reach `main` as keyword arguments."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    if add_options is not None:
        add_options(parser)
    options = vars(parser.parse_args())
    rate, seconds, as_json = options.pop("rate"), options.pop("seconds"), options.pop("json")
    figures = asyncio.run(main(rate, seconds, **options))
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        show(figures)
