"""Cluster benchmark: 1 intake node + N worker processes on PostgreSQL + Redis, versus the
embedded SQLite desk, in the same run. Prints figures; it is not a test.

    .venv/bin/python bench/cluster.py [--count 2000] [--connections 8] [--workers 2]
        [--threads 2] [--pg-server postgresql://postgres@127.0.0.1:5432/postgres]
        [--redis-url redis://127.0.0.1:6379/0] [--timeout 600] [--skip-embedded] [--json]

Cluster: a fresh PostgreSQL database `postdesk_bench_<random>`, a fresh Redis queue
`bench_<random>`, `postdesk serve --no-worker` (intake, sweeper) and `--workers`
`postdesk worker --threads T` processes. Embedded: `postdesk serve` with the desk's
defaults (SQLite file, in-process worker). Both get the same generated mails over
the same SMTP client. End-to-end msg/s = mails handled / (time from the first
connection to the last ticket committed AND the last acknowledgment sent). Every
wait is bounded; the database, the queue's keys and the temporary desks are
removed at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "tests"))  # shared with the tests

from _common import (
    Daemon,
    Progress,
    as_datetime,
    free_port,
    listeners,
    make_mails,
    send_all,
    work_folder,
)
from ingest import epoch, postdesk_command, wait_done
from scratch import create_database, drop_database, purge_redis_queue

RECIPIENT = "support@example.com"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="mails to send (2000)")
    parser.add_argument("--connections", type=int, default=8, help="SMTP connections (8)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (2)")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="PostgreSQL maintenance database URL; a bench database is "
                             "created beside it and dropped at the end")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds allowed per setup, first connection to last "
                             "acknowledgment (600)")
    parser.add_argument("--skip-embedded", action="store_true",
                        help="only the cluster (no SQLite comparison)")
    parser.add_argument("--json", action="store_true", help="figures as JSON on the last line")
    args = parser.parse_args(argv)
    if min(args.count, args.connections, args.workers, args.threads) < 1:
        parser.error("--count, --connections, --workers and --threads must be positive")
    return args


# --- one run ------------------------------------------------------------------------------


def init_desk(folder: Path) -> Path:
    subprocess.run([postdesk_command(), "init", str(folder)], check=True, timeout=120,
                   stdout=subprocess.DEVNULL)
    return folder / "postdesk.toml"


def measure(label: str, desk: Path, url: str, env: dict[str, str], processes: list[Daemon],
            mails: list[Any], tag: str, args: argparse.Namespace) -> dict[str, Any]:
    """Send MAILS to the running PROCESSES (the first listens on SMTP) and wait for the end."""
    port = int(env["POSTDESK_SMTP_LISTEN"].rpartition(":")[2])
    progress: Progress | None = None
    try:
        for process in processes:
            process.wait_ready(60)
        load = send_all(port, mails, recipient=RECIPIENT, connections=args.connections,
                        timeout=args.timeout)
        progress = Progress(url, desk, f"%-{tag}@bench.example")
        done = wait_done(progress, load.accepted, time.monotonic() + args.timeout)
        processed = [as_datetime(row[3]) for row in progress.per_mail()]
        last_sent = as_datetime(progress.last_sent_at())
        failures = progress.failures()
    finally:
        if progress is not None:
            progress.close()
        codes = [process.stop() for process in processes]
    moments = [epoch(m) for m in [*processed, last_sent] if m is not None]
    end = max(moments, default=done["seen_at"]) if done["complete"] else done["seen_at"]
    handled = sum(n for state, n in done["inbound"].items() if state != "pending")
    elapsed = max(end - load.started, 1e-9)
    return {
        "setup": label,
        "accepted": load.accepted,
        "accepted_msgs_per_s": round(load.accepted / load.elapsed, 1),
        "end_to_end_msgs_per_s": round(handled / elapsed, 1),
        "end_to_end_s": round(elapsed, 2),
        "complete": done["complete"],
        "inbound": done["inbound"],
        "outbox": done["outbox"],
        "client_errors": load.errors[:3],
        "failures": failures,
        "exit_codes": codes,
        "notable": [line for p in processes for line in p.notable_lines()][:5],
    }


def run_cluster(args: argparse.Namespace, workdir: Path, mails: list[Any], tag: str
                ) -> dict[str, Any]:
    name, queue = f"postdesk_bench_{tag}", f"bench_{tag}"
    url = create_database(args.pg_server, name)
    try:
        desk = workdir / "cluster"
        config = init_desk(desk)
        env = dict(os.environ, POSTDESK_DATABASE_URL=url, POSTDESK_BROKER_URL=args.redis_url,
                   POSTDESK_BROKER_QUEUE=queue, **listeners(free_port()))
        base = [postdesk_command(), "--config", str(config)]
        intake = Daemon("intake", [*base, "serve", "--no-worker"], env=env, cwd=desk,
                        ready_marker="postdesk ready")
        processes = [intake]
        try:
            intake.wait_ready(60)  # migrates the schema before the workers connect
            processes += [Daemon(f"worker{n}", [*base, "worker", "--threads", str(args.threads)],
                                 env=env, cwd=desk, ready_marker="postdesk worker ready")
                          for n in range(args.workers)]
        except BaseException:
            for process in processes:
                process.stop()
            raise
        label = f"cluster   1 intake + {args.workers}x{args.threads} workers, PostgreSQL + Redis"
        return measure(label, desk, url, env, processes, mails, tag, args)
    finally:
        with contextlib.suppress(Exception):
            drop_database(args.pg_server, name)
        with contextlib.suppress(Exception):
            purge_redis_queue(args.redis_url, queue)


def run_embedded(args: argparse.Namespace, workdir: Path, mails: list[Any], tag: str
                 ) -> dict[str, Any]:
    desk = workdir / "embedded"
    config = init_desk(desk)
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    env.update(listeners(free_port()))
    serve = Daemon("embedded", [postdesk_command(), "--config", str(config), "serve"],
                   env=env, cwd=desk, ready_marker="postdesk ready")
    return measure("embedded  postdesk serve, SQLite + in-process worker", desk,
                   "sqlite:///var/postdesk.db", env, [serve], mails, tag, args)


def report(result: dict[str, Any]) -> None:
    note = "" if result["complete"] else "  INCOMPLETE (timed out)"
    print(f"{result['setup']}\n"
          f"          accepted {result['accepted_msgs_per_s']:.1f} msg/s  end-to-end "
          f"{result['end_to_end_msgs_per_s']:.1f} msg/s  ({result['accepted']} mails, all "
          f"done in {result['end_to_end_s']:.2f} s){note}\n"
          f"          inbound {result['inbound']}  outbox {result['outbox']}  "
          f"exit codes {result['exit_codes']}")
    for key in ("client_errors", "failures", "notable"):
        if result[key]:
            print(f"          {key}: {result[key]}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = work_folder("postdesk-bench-cluster-")
    results = []
    print(f"{args.count} mails over {args.connections} SMTP connections; "
          f"{os.cpu_count()} CPUs on this machine", flush=True)
    try:
        tag = secrets.token_hex(4)
        results.append(run_cluster(args, workdir, make_mails(
            args.count, recipient=RECIPIENT, tag=f"c{tag}"), f"c{tag}"))
        if not args.skip_embedded:
            results.append(run_embedded(args, workdir, make_mails(
                args.count, recipient=RECIPIENT, tag=f"e{tag}"), f"e{tag}"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    for result in results:
        report(result)
    if len(results) == 2:
        ratio = results[0]["end_to_end_msgs_per_s"] / max(results[1]["end_to_end_msgs_per_s"],
                                                           1e-9)
        print(f"ratio     {ratio:.2f}  (cluster end-to-end / embedded end-to-end)")
    if args.json:
        print(json.dumps(results, default=str))
    clean = all(r["complete"] and r["accepted"] == args.count and not r["failures"]
                for r in results)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
