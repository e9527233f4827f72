"""Fuzz the worker's pure path over hostile variants of mail: what escapes, what is slow.

    .venv/bin/python bench/fuzz.py [--cases 100000] [--first 0] [--seed 1] [--corpus]
                                   [--slowest 10] [--jobs 2]

Each case is a seed mail (the built-in ones of tests/mail_mutations.py, plus with
--corpus every .eml of ../shared/corpus under 1 MB) with one to three mutations
(truncation, byte flips, boundary removal, header duplication, nested multiparts and
message/rfc822, odd charsets and transfer encodings, long lines, encoded-word junk, deep
HTML, line-ending changes), read as the worker reads it before any write: parse,
sender, classify, reply extraction, correlation. It prints the number of cases, the
exceptions that escaped (a defect each, with the case's seed to reproduce it), the
exceptions the parser swallowed into defects, the slowest cases with their CPU time
and CPU seconds per 100 KB of input (goal: under 1), and the cases costliest per 100 KB.
A case over --cap CPU seconds is stopped and reported. Not a test; the same mutations
run a few hundred times in tests/unit/test_fuzz_mail.py.

Case N is made from its number alone (`--seed` and N seed the random source), so a
finding is replayed with `--first N --cases 1`, whatever `--jobs` ran it. `--jobs J`
runs the cases in J forked processes, in chunks of `CHUNK` consecutive numbers, and
merges what they found; Ctrl-C or SIGTERM reports the chunks finished so far.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import multiprocessing
import os
import random
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from mail_mutations import MUTATIONS, SEEDS, mutated, read_mail

#: Cases cheaper than this are not judged per 100 KB (a 2 KB mail in 30 ms is no defect).
_NOTICEABLE = 0.1
CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


class CaseTooSlow(Exception):
    """A case used more CPU than --cap."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise CaseTooSlow


def corpus_seeds() -> list[bytes]:
    if not CORPUS.is_dir():
        return []
    return [path.read_bytes() for path in sorted(CORPUS.rglob("*.eml"))
            if path.stat().st_size < 1_000_000]


@dataclass
class Tally:
    """What the cases of one run did."""

    cases: int = 0
    total_bytes: int = 0
    over_goal: int = 0
    #: cases over the goal at their first measurement (in the middle of the run), of which
    #: `over_goal` stayed over it when measured again alone (`_remeasured`)
    over_goal_first: int = 0
    escaped: list[tuple[int, str]] = field(default_factory=list)
    swallowed: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    slowest: list[tuple[float, int, int, str]] = field(default_factory=list)
    #: (CPU s per 100 KB, CPU s, size, case, mutations) of the cases over `_NOTICEABLE`
    costliest: list[tuple[float, float, int, int, str]] = field(default_factory=list)

    def keep_slowest(self, count: int) -> None:
        self.slowest = sorted(self.slowest, reverse=True)[:count]
        self.costliest = sorted(self.costliest, reverse=True)[:count]

    def add(self, other: Tally, slowest: int) -> None:
        self.cases += other.cases
        self.total_bytes += other.total_bytes
        self.over_goal += other.over_goal
        self.over_goal_first += other.over_goal_first
        self.escaped.extend(other.escaped)
        self.swallowed.update(other.swallowed)
        self.verdicts.update(other.verdicts)
        self.slowest.extend(other.slowest)
        self.costliest.extend(other.costliest)
        self.keep_slowest(slowest)


def run_case(case: int, args: argparse.Namespace, seeds: list[bytes], kinds: list[str],
             tally: Tally) -> None:
    rng = random.Random(args.seed * 1_000_003 + case)
    chosen = [rng.choice(kinds) for _ in range(rng.randint(1, 3))]
    raw = mutated(rng.choice(seeds), chosen, rng)
    tally.total_bytes += len(raw)
    before = time.process_time()
    signal.setitimer(signal.ITIMER_PROF, args.cap)
    try:
        reading = read_mail(raw)
        tally.verdicts[reading.kind] += 1
        tally.swallowed.update(reading.swallowed)
    except CaseTooSlow:
        tally.escaped.append((case, f"over {args.cap} s of CPU ({', '.join(chosen)})"))
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        tally.escaped.append((case, f"{type(exc).__name__} at {Path(where.filename).name}:"
                                    f"{where.lineno} ({', '.join(chosen)})"))
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    cpu = time.process_time() - before
    rate = cpu / max(len(raw), 1) * 100_000
    if cpu > _NOTICEABLE:
        if rate > 1.0:
            tally.over_goal_first += 1
            cpu = _remeasured(raw, cpu, args.cap)
            rate = cpu / max(len(raw), 1) * 100_000
            tally.over_goal += rate > 1.0
        tally.costliest.append((rate, cpu, len(raw), case, ", ".join(chosen)))
    tally.slowest.append((cpu, len(raw), case, ", ".join(chosen)))
    if len(tally.slowest) > 4 * args.slowest:
        tally.keep_slowest(args.slowest)
    tally.cases += 1


def _remeasured(raw: bytes, first: float, cap: float, times: int = 2) -> float:
    """The case's CPU seconds measured again, the least of `times` runs and the first: each
    after a full garbage collection, so that a collection the earlier cases' garbage made
    due does not land in a small case and count as its cost (its own garbage still does)."""
    least = first
    for _ in range(times):
        gc.collect()
        before = time.process_time()
        signal.setitimer(signal.ITIMER_PROF, cap)
        try:
            with contextlib.suppress(Exception):  # CaseTooSlow included: it was counted
                read_mail(raw)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        least = min(least, time.process_time() - before)
    return least


#: Consecutive cases a process runs before it hands back what it found.
CHUNK = 200


@dataclass(frozen=True)
class Plan:
    """What every process needs to run any case (inherited by the forked processes)."""

    args: argparse.Namespace
    seeds: list[bytes]
    kinds: list[str]


_plan: Plan | None = None


def _start_process() -> None:
    signal.signal(signal.SIGPROF, _stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent reports; it ends the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_chunk(first: int, count: int, tally: Tally | None = None) -> Tally:
    assert _plan is not None
    tally = tally if tally is not None else Tally()
    for case in range(first, first + count):
        run_case(case, _plan.args, _plan.seeds, _plan.kinds, tally)
    tally.keep_slowest(_plan.args.slowest)
    return tally


def _chunks(first: int, cases: int) -> Iterator[tuple[int, int]]:
    for start in range(first, first + cases, CHUNK):
        yield start, min(CHUNK, first + cases - start)


def _run_chunk_star(chunk: tuple[int, int]) -> Tally:
    return run_chunk(*chunk)


def run_all(plan: Plan, tally: Tally) -> None:
    """Every case of the plan, in `--jobs` processes (1: here), merged into `tally`."""
    global _plan
    _plan = plan
    args = plan.args
    started = time.monotonic()
    reported = 0

    def merged(part: Tally) -> None:
        nonlocal reported
        tally.add(part, args.slowest)
        if tally.cases // 5000 > reported:
            reported = tally.cases // 5000
            print(f"  {tally.cases} cases, {len(tally.escaped)} escaped, "
                  f"{time.monotonic() - started:.0f} s", flush=True)

    if args.jobs <= 1:
        _start_process()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)
        for first, count in _chunks(args.first, args.cases):
            run_chunk(first, count, tally)  # into the tally: an interruption keeps them
            merged(Tally())
        return
    pool = multiprocessing.get_context("fork").Pool(args.jobs, initializer=_start_process)
    try:
        for part in pool.imap_unordered(_run_chunk_star, _chunks(args.first, args.cases)):
            merged(part)
    finally:
        pool.terminate()
        pool.join()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--first", type=int, default=0,
                        help="number of the first case (to run a long fuzz in chunks)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", action="store_true", help="add ../shared/corpus mails")
    parser.add_argument("--slowest", type=int, default=10)
    parser.add_argument("--cap", type=float, default=30.0, help="CPU seconds per case")
    parser.add_argument("--jobs", type=int, default=1,
                        help="processes to run the cases in (default 1)")
    parser.add_argument("--without", action="append", default=[], metavar="MUTATION",
                        help="leave a mutation out (e.g. 'deep HTML'); repeatable")
    args = parser.parse_args()

    seeds = list(SEEDS) + (corpus_seeds() if args.corpus else [])
    kinds = sorted(set(MUTATIONS) - set(args.without))
    tally = Tally()
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic(), _cpu_seconds()
    try:
        run_all(Plan(args, seeds, kinds), tally)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: report the cases run so far
        print(f"stopped after {tally.cases} of {args.cases} cases")
    report(tally, args, kinds, len(seeds), time.monotonic() - started[0],
           _cpu_seconds() - started[1])


def _cpu_seconds() -> float:
    """CPU of this process and of its finished children (the --jobs processes)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def report(tally: Tally, args: argparse.Namespace, kinds: list[str], seeds: int,
           wall: float, cpu: float) -> None:
    print(f"mutations: {', '.join(kinds)}")
    print(f"cases: {tally.cases} (seed {args.seed}, {seeds} seed mails, "
          f"{tally.total_bytes / 1e6:.1f} MB) in {wall:.0f} s with {args.jobs} job(s), "
          f"{tally.cases / max(wall, 1e-9):.1f} cases/s; {cpu:.0f} s CPU, "
          f"{tally.cases / max(cpu, 1e-9):.1f} cases per CPU second")
    print(f"verdicts: {dict(sorted(tally.verdicts.items()))}")
    print(f"escaped exceptions: {len(tally.escaped)}")
    for case, what in tally.escaped[:20]:
        print(f"  case {case}: {what}")
    print(f"swallowed (reported as defects): {sum(tally.swallowed.values())}")
    for what, count in tally.swallowed.most_common(10):
        print(f"  {count:6d}  {what}")
    print(f"slowest {args.slowest} (CPU s, size, CPU s per 100 KB, case, mutations):")
    worst_rate = 0.0
    for cpu, size, case, chosen in sorted(tally.slowest, reverse=True)[: args.slowest]:
        rate = cpu / max(size, 1) * 100_000
        worst_rate = max(worst_rate, rate)
        print(f"  {cpu:7.3f}  {size:9d}  {rate:7.3f}  case {case}: {chosen}")
    print(f"worst CPU s per 100 KB among the slowest: {worst_rate:.3f} (goal: under 1)")
    print(f"costliest {args.slowest} per 100 KB (of those over {_NOTICEABLE} s; "
          "CPU s per 100 KB, CPU s, size, case, mutations):")
    for rate, cpu, size, case, chosen in sorted(tally.costliest, reverse=True)[: args.slowest]:
        print(f"  {rate:7.3f}  {cpu:7.3f}  {size:9d}  case {case}: {chosen}")
    print(f"cases over 1 s CPU per 100 KB (of those over {_NOTICEABLE} s): {tally.over_goal} "
          f"when measured again alone (least of 3, after a garbage collection); "
          f"{tally.over_goal_first} at their first measurement in the run")


if __name__ == "__main__":
    main()
