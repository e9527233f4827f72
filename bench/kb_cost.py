"""The knowledge base's cost per mail in instructions, a figure a loaded machine cannot
move (issue 21). Prints figures; it is not a test.

    .venv/bin/python bench/kb_cost.py [--count 40] [--kb-articles 1000]
        [--texts alike|varied] [--callgrind-out FILE]

The same COUNT mails are processed by the worker (bench/worker_cpu.py's desk and batch
helpers: `process_many`, then one `send_many` per batch) twice, each time in its own
process under `valgrind --tool=callgrind`: once on a desk with an empty `kb/` and once
on one with `--kb-articles` generated articles (bench/kb_search.py's). Only the
processing of the measured mails is counted (`--toggle-collect` around the
`sys.call_tracing` call that runs it): desk setup, imports and twenty warm-up mails
(which also build the knowledge-base index) are not. The looks at the live files
(`kb/` among them) due every `[rules] reload_interval` seconds of wall clock would come
some fifty times as often under callgrind: the counted part has exactly one, after
the mails (one per COUNT mails, where a worker at full speed makes one per hundreds
of mails: the figure errs on the side of the knowledge base costing more). Hash
randomisation is fixed (PYTHONHASHSEED=0), so a run repeats its counts closely.

Instructions are not time (a cache miss costs more than an add), but they follow the
CPU work done and, unlike CPU seconds on a shared machine, they do not depend on what
else runs. Python runs some 50x slower under callgrind: the default 40 mails take a
few minutes per side. `--callgrind-out FILE` also keeps the per-function output of each
side (FILE.kb0, FILE.kb1000; without instruction-level detail) for
`callgrind_annotate`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import make_mails, remove_work_folder, work_folder
from _varied_mails import varied_mails
from worker_cpu import RECIPIENT, setup_desk, store, work

#: The C function of `sys.call_tracing`: callgrind counts only while it runs.
TOGGLE = "sys_call_tracing"


def counted_part(ids: list[int]) -> int:
    """The mails processed with no look at the live files on the way, then exactly one
    look at every live file (`kb/`'s 1,000 stats among them): a look is due every
    `[rules] reload_interval` seconds of wall clock, which callgrind's slowness would
    otherwise turn into some fifty looks where a worker at full speed makes one."""
    from postdesk.config import runtime

    live = runtime.current().live
    intervals = [(file, file.interval) for file in live]
    for file, _ in intervals:
        file.interval = float("inf")
    try:
        done, _ = work(ids)
    finally:
        for file, interval in intervals:
            file.interval = interval
    live.request_reload()
    for file in live:
        file.current()
    return done


def child(count: int, kb_articles: int, texts: str) -> int:
    """Under valgrind: a desk with `kb_articles` articles, warm-up, then `count` mails
    processed inside `sys.call_tracing` (the counted part)."""
    workdir = work_folder("postdesk-kb-cost-")
    try:
        setup_desk(workdir, kb_articles)
        work(store(make_mails(20, recipient=RECIPIENT, tag="warm", seed=7)))
        if texts == "varied":
            mails, _ = varied_mails(count, recipient=RECIPIENT, tag="cost")
        else:
            mails = make_mails(count, recipient=RECIPIENT, tag="cost", seed=1)
        ids = store(mails)
        done = sys.call_tracing(counted_part, (ids,))
    finally:
        remove_work_folder(workdir)
    print(f"done {done} of {len(ids)}")
    return 0 if done == len(ids) else 1


def counted(count: int, kb_articles: int, texts: str, out_file: str | None
            ) -> tuple[int, float]:
    """Runs `child` under callgrind; (instructions collected, wall seconds)."""
    with tempfile.TemporaryDirectory(prefix="postdesk-kb-cost-log-") as logs:
        log = Path(logs) / "callgrind.log"
        command = ["valgrind", "--tool=callgrind", f"--toggle-collect={TOGGLE}",
                   f"--log-file={log}", "--dump-instr=no",
                   f"--callgrind-out-file={out_file or '/dev/null'}",
                   sys.executable, str(Path(__file__).resolve()), "--child",
                   "--count", str(count), "--kb-articles", str(kb_articles),
                   "--texts", texts]
        env = dict(os.environ, PYTHONHASHSEED="0")
        started = time.perf_counter()
        run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        report = log.read_text(encoding="utf-8", errors="replace")
    if run.returncode != 0:
        raise SystemExit(f"the run with {kb_articles} articles failed "
                         f"(exit {run.returncode}):\n{run.stdout}{run.stderr}{report[-2000:]}")
    found = re.search(r"Collected\s*:\s*(\d+)", report)
    if found is None:
        raise SystemExit(f"no 'Collected' total in callgrind's log:\n{report[-2000:]}")
    return int(found.group(1)), wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40, help="mails counted per side (40)")
    parser.add_argument("--kb-articles", type=int, default=1000, metavar="N",
                        help="generated articles on the side with a knowledge base (1000)")
    parser.add_argument("--texts", choices=("alike", "varied"), default="alike",
                        help="alike (default): bench/ingest.py's generated mails; varied: "
                             "real customer questions (StackFAQ when present)")
    parser.add_argument("--callgrind-out", metavar="FILE",
                        help="keep callgrind's per-function output of each side in "
                             "FILE.kb0 and FILE.kbN (for callgrind_annotate)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:  # the side without a knowledge base runs with --kb-articles 0
        return child(args.count, args.kb_articles, args.texts)
    if args.count < 1 or args.kb_articles < 1:
        parser.error("--count and --kb-articles must be at least 1")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install valgrind)")
    figures = {}
    for articles in (0, args.kb_articles):
        out = f"{args.callgrind_out}.kb{articles}" if args.callgrind_out else None
        instructions, wall = counted(args.count, articles, args.texts, out)
        figures[articles] = instructions / args.count
        print(f"{args.texts} texts, kb/ of {articles} articles: "
              f"{figures[articles] / 1e6:.2f} M instructions per mail "
              f"({args.count} mails, {wall:.0f} s under callgrind)", flush=True)
    without, with_kb = figures[0], figures[args.kb_articles]
    print(f"knowledge base of {args.kb_articles} articles adds "
          f"{(with_kb - without) / 1e6:+.2f} M instructions per mail "
          f"({with_kb / without - 1:+.1%}); issue 21 allows +10 %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
