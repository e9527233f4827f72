"""How long `postdesk serve` takes to be ready, and what its first mails cost.

    .venv/bin/python bench/startup.py [--runs 5] [--processes 2]

For the embedded desk with worker processes (`[broker] worker_processes`,
2 in a fresh desk) against the baseline of the same desk with none:

- start to ready: wall seconds from exec to the "postdesk ready" line, and the
  CPU seconds the daemon and all its processes (fork server, workers) used by
  then (CPU is the steadier figure on a busy machine);
- first mails: seconds from the 250 to the acknowledgment file for mails
  whose language must be detected from their text (no Content-Language), one
  per worker process and then one more, which shows whether a worker still
  loads the language model on its first mail;
- memory: the proportional set size (PSS, shared pages split) of the
  daemon's process tree after those mails and a burst of `BURST` more over 4
  connections (so that every worker has had mail to detect the language of).
"""

from __future__ import annotations

import argparse
import os
import smtplib
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HOST, Daemon, free_port, listeners, make_mails, send_all

POSTDESK = str(Path(sys.executable).with_name("postdesk"))
TICK = os.sysconf("SC_CLK_TCK")
TEXTS = ("Dzień dobry, od rana drukarka na drugim piętrze drukuje puste strony. Proszę o pomoc.",
         "Guten Tag, seit heute Morgen druckt der Drucker im zweiten Stock nur leere Seiten.",
         "Hello, since this morning the printer on the second floor only prints blank pages.",
         "Dzień dobry, nie mogę się zalogować do konta od wczoraj wieczorem, co mam zrobić?")


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.extend(tree(int(child)))
    return found


def cpu_seconds(pid: int) -> float:
    total = 0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def pss_mib(pid: int) -> float:
    total = 0
    for member in tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def start(config: Path, processes: int) -> tuple[Daemon, int, float, float]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    env.update(listeners(port), POSTDESK_BROKER_WORKER_PROCESSES=str(processes))
    began = time.perf_counter()
    daemon = Daemon("serve", [POSTDESK, "--config", str(config), "serve"], env=env,
                    ready_marker="postdesk ready")
    daemon.wait_ready(120)
    return daemon, port, time.perf_counter() - began, cpu_seconds(daemon.pid)


def sent(outgoing: Path) -> set[Path]:
    return set(outgoing.glob("*.eml"))  # (temporaries are written in .tmp/)


def first_mails(daemon: Daemon, port: int, outgoing: Path, count: int) -> list[float]:
    """Seconds from each mail's 250 to its acknowledgment, one mail at a time."""
    waits = []
    for number in range(count):
        before = sent(outgoing)
        message = EmailMessage()
        message["From"] = f"customer{number}-{time.time_ns()}@startup.example"
        message["To"] = "support@example.com"
        message["Subject"] = f"Drukarka {number}"
        message.set_content(TEXTS[number % len(TEXTS)])
        with smtplib.SMTP(HOST, port, timeout=30) as smtp:
            smtp.send_message(message)
        sent_at = time.perf_counter()
        while not sent(outgoing) - before:
            if time.perf_counter() - sent_at > 60:
                tail = "\n".join(daemon.lines[-20:])
                raise RuntimeError(f"no acknowledgment within 60 s:\n{tail}")
            time.sleep(0.005)
        waits.append(time.perf_counter() - sent_at)
    return waits


BURST = 24


def burst(port: int, outgoing: Path) -> None:
    before = len(sent(outgoing))
    mails = make_mails(BURST, recipient="support@example.com", tag=f"b{time.time_ns()}")
    send_all(port, mails, recipient="support@example.com", connections=4, timeout=60)
    deadline = time.perf_counter() + 120
    while len(sent(outgoing)) < before + BURST and time.perf_counter() < deadline:
        time.sleep(0.05)


def fresh_desk(folder: str) -> tuple[Path, Path]:
    """A desk made by `postdesk init` in `folder`: its config file and outgoing folder."""
    desk = Path(folder) / "desk"
    Daemon("init", [POSTDESK, "init", str(desk)], ready_marker="\0").proc.wait(60)
    return desk / "postdesk.toml", desk / "var" / "outgoing"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="postdesk-startup-") as folder:
        config, outgoing = fresh_desk(folder)
        print(f"{args.runs} starts each, load average {os.getloadavg()[0]:.1f} "
              f"(wall seconds are inflated by other load; CPU seconds much less)")
        for processes in (0, args.processes):
            walls, cpus, waits, memory = [], [], [], []
            for _ in range(args.runs):
                daemon, port, wall, cpu = start(config, processes)
                try:
                    walls.append(wall)
                    cpus.append(cpu)
                    waits.append(first_mails(daemon, port, outgoing, 2 * max(processes, 1) + 1))
                    burst(port, outgoing)
                    memory.append(pss_mib(daemon.pid))
                finally:
                    daemon.stop()
            label = "baseline, no worker processes" if processes == 0 else \
                f"{processes} worker processes"
            per_mail = [statistics.median(w[i] for w in waits) for i in range(len(waits[0]))]
            print(f"{label}:\n"
                  f"  start to ready: median {statistics.median(walls):.2f} s wall "
                  f"(min {min(walls):.2f}), {statistics.median(cpus):.2f} s CPU\n"
                  f"  first mails, 250 to acknowledgment (median per position): "
                  + ", ".join(f"{w * 1000:.0f} ms" for w in per_mail) + "\n"
                  f"  memory after them: {statistics.median(memory):.0f} MiB PSS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
