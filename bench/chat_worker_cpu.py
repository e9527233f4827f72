"""Desk CPU per chat event, in one process, by part: what `postdesk serve` with worker
threads spends on a Slack message in a help channel (store the event, turn it into a
ticket, send the mail it decided, post the acknowledgment in the thread). Prints figures;
it is not a test.

    .venv/bin/python bench/chat_worker_cpu.py [--count 300] [--sql N] [--profile FILE]
                                               [--keep]

A desk is `postdesk init`ed in a fresh folder under bench/out/ (SQLite) with the help
channel and the agent of bench/chat_roundtrip.py. Each event goes the way it goes in
the daemon at 50 events/s, one after the other: `store_chat_events` (the Slack edge's
intake, one event per commit), the worker thread's unit of work (`pool._child_run`:
`process_many` of the one id, then the mail it decided sent), then a round of the chat
sender (`ChatSender.send_due`, woken by the worker's commit) posting to a stand-in
platform that answers at once. CPU is `time.process_time()` of this process (every
thread); the Slack edge's own work (Bolt, the WebSocket, users.info) and the dramatiq
stub broker are not in it: bench/chat_roundtrip.py measures the whole daemon.
The first half of the events is untimed by stage (the true CPU per event); the
second half counts statements per event (`--sql N`: the N costliest kinds).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import pstats
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import remove_work_folder, work_folder
from chat_roundtrip import CHANNELS, TEAMS
from worker_cpu import statement_shape

USERS = 20
TEAM_ID = "T0LOOPBACK"


class InstantPlatform:
    """A chat platform that takes every post at once (the sender's side without network)."""

    platform = "slack"

    def __init__(self) -> None:
        self.posts: list[Any] = []
        self._ts = itertools.count(1)

    async def post(self, post: Any) -> str:
        self.posts.append(post)
        return f"1700000000.{next(self._ts):06d}"

    def health(self) -> str:
        return "connected"


def setup_desk(workdir: Path) -> Any:
    """A fresh desk with the bench's help channel and agent, as this process's runtime."""
    from postdesk.config import runtime
    from postdesk.config.desk_init import init_desk
    from postdesk.config.load import load_settings
    from postdesk.store import db, migrations

    desk = workdir / "desk"
    init_desk(desk)
    (desk / "rules" / "channels.yaml").write_text(CHANNELS, encoding="utf-8")
    (desk / "rules" / "teams.yaml").write_text(TEAMS, encoding="utf-8")
    settings = load_settings(desk / "postdesk.toml", environ={
        "POSTDESK_LIMITS_AUTO_REPLIES_PER_ADDRESS": "100000"})
    database = db.connect(settings.database_url, synchronous=settings.database.synchronous)
    database.connect()
    migrations.migrate(database)
    runtime.install(runtime.Runtime(settings)).live.warm()
    return settings


def make_events(count: int, start: int) -> list[Any]:
    """Top-level messages in the help channel from 20 users, as the Slack edge hands them in."""
    from datetime import UTC, datetime

    from postdesk.chat.model import ChatEvent, ChatUser

    events = []
    for n in range(start, start + count):
        user = n % USERS
        events.append(ChatEvent(
            platform="slack", event_id=f"Ev{n:010d}", kind="message", workspace=TEAM_ID,
            channel="C0HELP", user=ChatUser(
                platform="slack", user_id=f"U{user:04d}", email=f"user{user}@example.com",
                display_name=f"U{user:04d}", locale="pl-PL", timezone="Europe/Warsaw"),
            message_id=f"1700000000.{n:06d}", text=f"Laptop {n} will not start",
            sent_at=datetime.now(UTC)))
    return events


class Desk:
    """The daemon's parts a chat event passes through, driven one event at a time."""

    def __init__(self, settings: Any) -> None:
        from postdesk.channels.chat_sender import ChatSender
        from postdesk.config import runtime
        from postdesk.store.read_pool import ReadPool

        self.platform = InstantPlatform()
        self.reads = ReadPool(threads=1, name="bench-chat-sender")
        self.sender = ChatSender({"slack": self.platform},  # type: ignore[dict-item]
                                 runtime.current(), self.reads)
        self.loop = asyncio.new_event_loop()

    def handle(self, event: Any) -> None:
        from postdesk.store.chat_inbound import store_chat_events
        from postdesk.worker import pool

        (inbound_id,) = store_chat_events([event])
        assert inbound_id is not None
        left = pool._child_run(inbound_id)
        assert not left, f"outbox rows left for the queue: {left}"
        self.loop.run_until_complete(self.sender.send_due())

    def in_sender_thread(self, work: Any) -> None:
        self.reads._executor.submit(work).result()

    def close(self) -> None:
        from postdesk.sla.tracking import catch_up
        from postdesk.store.db import database

        self.reads.close()
        self.loop.close()
        catch_up.finish_trailing()  # its thread writes to the desk's database
        database.close()


def measure(args: argparse.Namespace) -> bool:
    from postdesk.store.db import database
    from postdesk.store.models import Ticket

    workdir = work_folder("postdesk-chat-cpu-")
    settings = setup_desk(workdir)
    desk = Desk(settings)
    for event in make_events(20, 10_000_000):  # imports, templates, the rules: warm
        desk.handle(event)
    half = args.count // 2
    events = make_events(args.count, 0)
    plain, counted = events[:half], events[half:]
    posts_before = len(desk.platform.posts)
    tickets_before = Ticket.select().count()

    cpu, wall = time.process_time(), time.perf_counter()
    for event in plain:
        desk.handle(event)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall

    statements = 0
    shapes: Counter[str] = Counter()
    shape_cpu: Counter[str] = Counter()
    original_execute = database.obj.execute_sql

    def noting_execute(sql: str, *a: Any, **k: Any) -> Any:
        nonlocal statements
        statements += 1
        shape = statement_shape(sql)
        shapes[shape] += 1
        started = time.thread_time()
        try:
            return original_execute(sql, *a, **k)
        finally:
            shape_cpu[shape] += time.thread_time() - started

    database.obj.execute_sql = noting_execute
    # CPU time of the worker's thread and of the sender's, each profiled in its thread
    profilers = [cProfile.Profile(time.thread_time) for _ in range(2)] if args.profile else []
    try:
        if profilers:
            profilers[0].enable()
            desk.in_sender_thread(profilers[1].enable)
        for event in counted:
            desk.handle(event)
        if profilers:
            profilers[0].disable()
            desk.in_sender_thread(profilers[1].disable)
    finally:
        database.obj.execute_sql = original_execute
    posts = len(desk.platform.posts) - posts_before
    tickets = Ticket.select().count() - tickets_before
    desk.close()

    print(f"{args.count} chat messages in a help channel, one at a time; {tickets} tickets, "
          f"{posts} thread posts; SQLite in {workdir}")
    print(f"desk CPU per event (first half, {len(plain)} events): "
          f"{cpu / len(plain) * 1e3:.2f} ms  (wall {wall / len(plain) * 1e3:.2f} ms)")
    print(f"SQL statements per event (second half): {statements / len(counted):.1f}")
    for shape, spent in shape_cpu.most_common(args.sql):
        print(f"  {shapes[shape] / len(counted):5.2f} {spent / len(counted) * 1e6:6.0f} µs  "
              f"{shape}")
    if profilers:
        profilers[0].create_stats()
        profilers[1].create_stats()
        stats = pstats.Stats(profilers[0]).add(profilers[1])
        stats.dump_stats(args.profile)
        stats.sort_stats("cumulative").print_stats(40)
    if not args.keep:
        remove_work_folder(workdir)
    return tickets == len(counted) and posts >= len(counted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="chat events (300)")
    parser.add_argument("--sql", type=int, default=0, metavar="N",
                        help="also print the N statements that cost the most CPU per event")
    parser.add_argument("--profile", metavar="FILE",
                        help="also write a cProfile of the second half (pstats) and print "
                             "its top functions")
    parser.add_argument("--keep", action="store_true", help="keep the desk's folder")
    return 0 if measure(parser.parse_args(argv)) else 1


if __name__ == "__main__":
    sys.exit(main())
