"""Memory of the embedded desk: idle, during ten maximum-size mails at once, a minute after.

    .venv/bin/python bench/memory.py [--processes 2] [--mails 10] [--settle 60] [--no-baseline]
    .venv/bin/python bench/memory.py --idle [--processes 2]

Starts `postdesk serve` on a fresh desk (worker processes as in a fresh desk)
and reports the proportional set size (PSS, shared pages split) of the
daemon's whole process tree (daemon, fork server, workers): idle after a few
small mails, the peak while `--mails` mails of nearly `[smtp] max_message_size`
(an attachment) arrive over as many connections at once, and `--settle`
seconds after the last acknowledgment, each with the PSS of every process
(daemon, fork server, workers). The baseline in the same run is the same desk
with `[broker] recycle_megabytes = 0` (worker processes never replaced, as
before). Goal (issue 25): idle under 150 MiB, settled within 20 % of idle.

`--idle` measures only the idle desk, with 0, 1, ... `--processes` worker
processes: the figure behind the example desk's `[broker] worker_processes`.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import sqlite3
import sys
import tempfile
import threading
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HOST
from startup import first_mails, fresh_desk, pss_mib, sent, start, tree


def big_mail(number: int, size: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"big{number}-{time.time_ns()}@memory.example"
    message["To"] = "support@example.com"
    message["Subject"] = f"Logs {number}"
    message.set_content("Hello, the logs of the failing printer are attached.\n")
    payload = os.urandom(int(size * 0.74))  # base64 grows it by a third, plus line ends
    message.add_attachment(payload, maintype="application", subtype="octet-stream",
                           filename="printer.log")
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as SMTP requires


def send_at_once(port: int, mails: list[bytes], refused: list[str]) -> None:
    def one(raw: bytes) -> None:
        try:
            with smtplib.SMTP(HOST, port, timeout=300) as client:
                client.sendmail("big@memory.example", ["support@example.com"], raw)
        except (OSError, smtplib.SMTPException) as exc:
            refused.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=one, args=(raw,)) for raw in mails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _pending(database: Path) -> int:
    """Mails stored but not yet processed, and acknowledgments queued but not yet sent:
    an acknowledgment goes out after its mail is done, so counting the outgoing folder
    as soon as no mail waits found only some of them (3 to 7 of 10)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
        return int(connection.execute(
            "SELECT (SELECT count(*) FROM inbound WHERE state = 'pending')"
            " + (SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending'))").fetchone()[0])


def by_process(pid: int) -> str:
    """The PSS of each process of the tree, in MiB: `daemon 76, fork server 47, ...` (a
    worker process is a child of the fork server and shows the same command line)."""
    parts = []
    for member in tree(pid):
        try:
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text()
            command = Path(f"/proc/{member}/cmdline").read_bytes()
            parent = int(Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        pss = next(int(line.split()[1]) for line in rollup.splitlines()
                   if line.startswith("Pss:"))
        name = ("daemon" if member == pid else "resource tracker"
                if b"resource_tracker" in command else "fork server"
                if parent == pid else "worker")
        parts.append(f"{name} {pss / 1024:.0f}")
    return ", ".join(parts)


def idle_pss(config: Path, outgoing: Path, processes: int) -> float:
    """The tree's PSS after a few small mails (every worker has handled one) and a pause."""
    daemon, port, _, _ = start(config, processes)
    try:
        first_mails(daemon, port, outgoing, 2 * max(processes, 1) + 1)
        time.sleep(5)
        print(f"  {processes} worker processes: idle {pss_mib(daemon.pid):.0f} MiB "
              f"({by_process(daemon.pid)})", flush=True)
        return pss_mib(daemon.pid)
    finally:
        daemon.stop()


def measure(config: Path, outgoing: Path, processes: int, mails: list[bytes],
            settle: float, env: dict[str, str]) -> tuple[float, float, float]:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        daemon, port, _, _ = start(config, processes)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        first_mails(daemon, port, outgoing, 2 * max(processes, 1) + 1)
        time.sleep(5)
        idle = pss_mib(daemon.pid)
        print(f"    idle: {by_process(daemon.pid)}", flush=True)
        before = len(sent(outgoing))
        peak = idle
        refused: list[str] = []
        sender = threading.Thread(target=send_at_once, args=(port, mails, refused))
        sender.start()
        database = config.parent / "var" / "postdesk.db"
        # until the sender is done and no stored mail or acknowledgment waits
        while sender.is_alive() or _pending(database):
            peak = max(peak, pss_mib(daemon.pid))
            time.sleep(0.2)
        sender.join()
        print(f"    {len(mails) - len(refused)} accepted, {len(sent(outgoing)) - before} "
              "mails sent out"
              + "".join(f"\n    refused: {why}" for why in refused[:3]), flush=True)
        end = time.perf_counter() + settle
        while time.perf_counter() < end:
            peak = max(peak, pss_mib(daemon.pid))
            time.sleep(1)
        print(f"    settled: {by_process(daemon.pid)}", flush=True)
        return idle, peak, pss_mib(daemon.pid)
    finally:
        daemon.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--mails", type=int, default=10)
    parser.add_argument("--settle", type=float, default=60)
    parser.add_argument("--no-baseline", action="store_true",
                        help="only the shipped recycle_megabytes (the baseline only differs "
                             "with worker processes)")
    parser.add_argument("--idle", action="store_true",
                        help="only the idle desk, with 0 to --processes worker processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="postdesk-memory-") as folder:
        config, outgoing = fresh_desk(folder)
        if args.idle:
            print("PSS of the process tree at idle, in MiB (per process in brackets)")
            for processes in range(args.processes + 1):
                idle_pss(config, outgoing, processes)
            return 0
        size = 25 * 1000 * 1000 - 100_000  # just under the shipped max_message_size
        print(f"{args.mails} mails of {len(big_mail(0, size)) / 1e6:.1f} MB at once, "
              f"{args.processes} worker processes; PSS of the process tree in MiB")
        for label, env in (("baseline, processes never recycled",
                            {"POSTDESK_BROKER_RECYCLE_MEGABYTES": "0"}),
                           ("recycle_megabytes = 64 (shipped)", {}))[args.no_baseline:]:
            mails = [big_mail(n, size) for n in range(args.mails)]  # new senders each run
            idle, peak, settled = measure(config, outgoing, args.processes, mails,
                                          args.settle, env)
            print(f"  {label}: idle {idle:.0f}, peak {peak:.0f}, "
                  f"{args.settle:.0f} s after {settled:.0f} "
                  f"({(settled / idle - 1) * 100:+.0f} % of idle)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
