"""The customer's ticket page under load: p50/p99 at a fixed request rate.

    .venv/bin/python bench/web_page.py [--tickets 10000] [--rate 100] [--seconds 20] [--json]

1. A desk made by `postdesk init` in a fresh folder under bench/out/ with an SQLite
   database of N tickets (each: a customer, three public messages, one internal
   note with a file), generated inside the database.
2. The ticket page's server (`postdesk.channels.web`, as `serve` starts it, rate
   limits lifted) in a child process on a free loopback port.
3. An open-loop load generator in this process: requests start on a fixed
   schedule (--rate per second, whatever the answers), so a slow answer delays
   none of the next; latency counts from the scheduled start. Two phases of the
   same length, one after the other: the baseline, `/static/page.css` (a fixed
   text served by the same server: the cost of aiohttp, the middleware and the
   security headers), then the ticket page `/ticket/ID` of a random ticket with
   its session cookie (token check, three reads, the template in the customer's
   language).
Prints p50/p99/max per phase, how many answers were not 200 or not the page asked
for (the ticket page must show its ticket's subject: a refusal page would be fast),
and when the last answer came (the server kept up with the rate when it is about
--seconds). Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import free_port, percentile, remove_work_folder, work_folder

SECRET_ENV = "POSTDESK_BENCH_SECRET"


def _series(last: int) -> str:
    return (f"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
            f"WHERE i < {last}) SELECT i FROM n) AS s")


def fill(database_url: str, tickets: int) -> None:
    """N customers and tickets, 3 public messages and an internal note (with a file) each."""
    from postdesk.store import db, migrations

    database = db.connect(database_url)
    with database.connection_context():
        migrations.migrate(database)
        with database.atomic():
            series = _series(tickets)
            database.execute_sql(
                "INSERT INTO customer (email, name, language, bouncing, created_at) SELECT "
                "'c' || i || '@customer.example', 'Customer ' || i, "
                "CASE i % 3 WHEN 0 THEN 'pl' WHEN 1 THEN 'de' ELSE 'en' END, 0, "
                f"datetime('now') FROM {series}")
            database.execute_sql(
                "INSERT INTO ticket (subject, status, priority, requester_id, tags, sla_paused, "
                "created_at, updated_at) SELECT 'Printer ' || i || ' on fire', "
                "CASE i % 2 WHEN 0 THEN 'new' ELSE 'waiting_on_customer' END, 'normal', i, "
                f"'[]', 0, datetime('now'), datetime('now') FROM {series}")
            for n, (direction, visibility) in enumerate(
                    [("in", "public"), ("out", "public"), ("in", "public"),
                     ("out", "internal")]):
                database.execute_sql(
                    "INSERT INTO message (ticket_id, direction, visibility, author_email, "
                    "author_name, subject, text, body, created_at) SELECT i, "
                    f"'{direction}', '{visibility}', 'c' || i || '@customer.example', "
                    "'Customer ' || i, 'Printer', "
                    "'Hello,\nmy printer is on fire. It has been smoking since the morning and "
                    "the paper tray is melting.\nRegards', '', "
                    f"datetime('now', '+{n} minutes') FROM {series}")
            database.execute_sql("INSERT INTO blob (sha256, data, size) VALUES "
                                 "('bench', x'25504446', 4)")
            database.execute_sql(
                "INSERT INTO attachment (message_id, filename, content_type, size, blob_id, "
                "inline) SELECT id, 'invoice.pdf', 'application/pdf', 4, 'bench', 0 "
                "FROM message WHERE visibility = 'internal'")
    database.close()


def serve(config: str) -> None:
    """The child: the page's server of the desk at `config`, until killed."""
    from postdesk.channels.web.app import WebDesk, start_server
    from postdesk.config import runtime
    from postdesk.config.load import load_settings
    from postdesk.config.validate import parse_listen
    from postdesk.serve.daemon import prepare

    settings = load_settings(Path(config))
    prepare(settings)

    async def store(_arrival: Any) -> int:
        raise RuntimeError("the benchmark posts nothing")

    async def run() -> None:
        host, port = parse_listen(settings.web.listen)
        await start_server(WebDesk(runtime.current(), store, lambda _id: None), host, port)
        print("web ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(run())


async def load(base: str, paths: list[tuple[str, str, str]], rate: float, seconds: float
               ) -> tuple[list[float], int, float]:
    """Open-loop: request k starts at k/rate s; latency (ms) from its scheduled start.
    `paths`: (path, cookie, text the answer must contain). Also the answers that were not
    200 with that text, and the seconds from the first scheduled start to the last answer."""
    import aiohttp

    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as client:
        start = time.perf_counter() + 0.2

        async def one(k: int, path: str, cookie: str, expected: str) -> None:
            nonlocal failures
            scheduled = start + k / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            headers = {"Cookie": cookie} if cookie else {}
            async with client.get(base + path, headers=headers) as answer:
                body = await answer.text()
                if answer.status != 200 or expected not in body:
                    failures += 1
            latencies.append((time.perf_counter() - scheduled) * 1000)

        count = int(rate * seconds)
        await asyncio.gather(*(one(k, *paths[k % len(paths)]) for k in range(count)))
    return latencies, failures, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    from postdesk.config.desk_init import init_desk
    from postdesk.mail.page_token import PageToken, make_token

    folder = work_folder("web_page-")
    config = init_desk(folder / "desk")
    port = free_port()
    database_url = f"sqlite:///{folder / 'desk' / 'var' / 'postdesk.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")
           or k.startswith("POSTDESK_BENCH_")}
    env.update({"POSTDESK_DATABASE_URL": database_url,
                "POSTDESK_WEB_LISTEN": f"127.0.0.1:{port}",
                "POSTDESK_WEB_RATE_PER_IP": str(10**9),
                "POSTDESK_WEB_RATE_PER_TOKEN": str(10**9)})
    child = None
    try:
        began = time.perf_counter()
        fill(database_url, args.tickets)
        filled_s = time.perf_counter() - began
        child = subprocess.Popen([sys.executable, __file__, "--serve", str(config)], env=env,
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        if child.stdout.readline().strip() != "web ready":
            raise SystemExit("the page's server did not start")
        from postdesk.config.load import load_settings

        secret = load_settings(config).desk.secret
        rng = random.Random(1)
        expires = int(time.time()) + 3600
        pages = []
        for _ in range(2000):
            ticket = rng.randint(1, args.tickets)
            value = make_token(secret, PageToken(ticket, ticket, 0, expires), purpose="session")
            pages.append((f"/ticket/{ticket}", f"postdesk_ticket={value}",
                          f"Printer {ticket} on fire"))
        base = f"http://127.0.0.1:{port}"
        results: dict[str, Any] = {"tickets": args.tickets, "rate": args.rate,
                                   "seconds": args.seconds, "fill_s": round(filled_s, 1)}
        for name, paths in (("baseline /static/page.css", [("/static/page.css", "", "{")]),
                            ("ticket page", pages)):
            latencies, failures, took = asyncio.run(load(base, paths, args.rate, args.seconds))
            results[name] = {"requests": len(latencies), "not_200": failures,
                             "last_answer_s": round(took, 2),
                             "p50_ms": round(percentile(latencies, 50) or 0, 2),
                             "p99_ms": round(percentile(latencies, 99) or 0, 2),
                             "max_ms": round(max(latencies), 2)}
        if args.json:
            print(json.dumps(results, indent=2))
        else:
            print(f"{args.tickets} tickets (filled in {filled_s:.1f} s); "
                  f"{args.rate:g} requests/s for {args.seconds:g} s per phase, open loop")
            for name in ("baseline /static/page.css", "ticket page"):
                r = results[name]
                print(f"  {name:28} p50 {r['p50_ms']:7.2f} ms   p99 {r['p99_ms']:7.2f} ms   "
                      f"max {r['max_ms']:7.2f} ms   ({r['requests']} requests, "
                      f"{r['not_200']} not 200 or not the page, the last answered at "
                      f"{r['last_answer_s']:.1f} s)")
    finally:
        if child is not None:
            child.kill()
            child.wait()
        if not args.keep:
            remove_work_folder(folder)


if __name__ == "__main__":
    main()
