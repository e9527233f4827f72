"""How long a `postdesk` command takes from exec to exit, against `python -c pass`.

    .venv/bin/python bench/cli_startup.py [--runs 10] [--keep]

A fresh SQLite desk (`postdesk init` + `postdesk migrate`) in a folder under
bench/out/; then, `--runs` times each and in this order: `python -c pass` (the
interpreter's own start, the baseline), `postdesk --version`, `postdesk tickets
--json` on the empty desk; then one mail is ingested and processed
(`postdesk ingest` + `ingest --replay 1`: ticket 1, with SLA clocks) and
`postdesk ticket show 1 --json` and `postdesk tickets --json` are timed on it.
Each command runs once untimed first. Printed per command: median and min wall
seconds, and the median CPU seconds of the process (user + system), which vary
less with the load of other work on the machine.

The commands run with bytecode caching on (PYTHONDONTWRITEBYTECODE removed from
their environment), as an installed Postdesk does: pip compiles the package at
install, and a checkout compiles it once into __pycache__ (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import remove_work_folder, work_folder

PYTHON = sys.executable
POSTDESK = str(Path(sys.executable).with_name("postdesk"))
#: What issue 19 asks of an empty SQLite desk on the build machine (seconds).
GOALS = {"postdesk --version": 0.15, "postdesk tickets --json": 0.35}
MAIL = (b"From: Zoe Kowalska <zoe@customer.example>\r\nTo: support@example.com\r\n"
        b"Subject: Printer on fire\r\nMessage-ID: <bench-cli@customer.example>\r\n\r\n"
        b"Hello,\r\nmy printer is on fire.\r\n")


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith("POSTDESK_") and k != "PYTHONDONTWRITEBYTECODE"}


def run(argv: list[str], *, stdin: bytes | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one run; a failing command stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, input=stdin, capture_output=True, env=environment(),
                          timeout=120)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n"
                         f"{done.stderr.decode(errors='replace')}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(label: str, argv: list[str], runs: int) -> tuple[str, list[float], list[float]]:
    run(argv)  # untimed: caches of the file system and of compiled bytecode
    walls, cpus = zip(*(run(argv) for _ in range(runs)), strict=True)
    return label, list(walls), list(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command")
    parser.add_argument("--keep", action="store_true", help="keep the desk's folder")
    args = parser.parse_args()
    folder = work_folder("cli-startup-")
    try:
        config = str(folder / "desk" / "postdesk.toml")
        run([POSTDESK, "init", str(folder / "desk")])
        run([POSTDESK, "--config", config, "migrate"])
        desk = [POSTDESK, "--config", config]
        rows = [
            measure("python -c pass (baseline)", [PYTHON, "-c", "pass"], args.runs),
            measure("postdesk --version", [POSTDESK, "--version"], args.runs),
            measure("postdesk tickets --json", [*desk, "tickets", "--json"], args.runs),
        ]
        run([*desk, "ingest", "-f", "zoe@customer.example"], stdin=MAIL)
        run([*desk, "ingest", "--replay", "1"])
        rows += [
            measure("postdesk ticket show 1 --json (1 ticket)",
                    [*desk, "ticket", "show", "1", "--json"], args.runs),
            measure("postdesk tickets --json (1 ticket)", [*desk, "tickets", "--json"],
                    args.runs),
        ]
    finally:
        if not args.keep:
            remove_work_folder(folder)
    print(f"{args.runs} runs each, load average {os.getloadavg()[0]:.1f} "
          f"(wall seconds grow with other load; CPU seconds much less)")
    width = max(len(label) for label, _, _ in rows)
    print(f"{'command':<{width}}  {'median':>7}  {'min':>7}  {'CPU':>7}  goal")
    for label, walls, cpus in rows:
        goal = GOALS.get(label)
        verdict = "" if goal is None else \
            f"< {goal:.2f} s: {'met' if min(walls) < goal else 'NOT met'} (min)"
        print(f"{label:<{width}}  {statistics.median(walls):>6.3f}s  {min(walls):>6.3f}s  "
              f"{statistics.median(cpus):>6.3f}s  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
