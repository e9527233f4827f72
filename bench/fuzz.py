"""Fuzz the worker's pure path over hostile variants of mail: what escapes, what is slow.

    .venv/bin/python bench/fuzz.py [--cases 100000] [--first 0] [--seed 1] [--corpus]
                                   [--slowest 10]

Each case is a seed mail (the built-in ones of tests/mail_mutations.py, plus with
--corpus every .eml of ../shared/corpus under 1 MB) with one to three mutations
(truncation, byte flips, boundary removal, header duplication, nested multiparts and
message/rfc822, odd charsets and transfer encodings, long lines, encoded-word junk, deep
HTML, line-ending changes), read as the worker reads it before any write: parse,
sender, classify, reply extraction, correlation. It prints the number of cases, the
exceptions that escaped (a defect each, with the case's seed to reproduce it), the
exceptions the parser swallowed into defects, and the slowest cases with their CPU time
and CPU seconds per 100 KB of input (goal: under 1). A case over --cap CPU seconds is
stopped and reported. Not a test; the same mutations run a few hundred times in
tests/unit/test_fuzz_mail.py.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import time
import traceback
from collections import Counter
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
    escaped: list[tuple[int, str]] = field(default_factory=list)
    swallowed: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    slowest: list[tuple[float, int, int, str]] = field(default_factory=list)


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
    if cpu > _NOTICEABLE and cpu / max(len(raw), 1) * 100_000 > 1.0:
        tally.over_goal += 1
    tally.slowest.append((cpu, len(raw), case, ", ".join(chosen)))
    if len(tally.slowest) > 4 * args.slowest:
        tally.slowest = sorted(tally.slowest, reverse=True)[: args.slowest]
    tally.cases += 1


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
    parser.add_argument("--without", action="append", default=[], metavar="MUTATION",
                        help="leave a mutation out (e.g. 'deep HTML'); repeatable")
    args = parser.parse_args()

    seeds = list(SEEDS) + (corpus_seeds() if args.corpus else [])
    kinds = sorted(set(MUTATIONS) - set(args.without))
    tally = Tally()
    signal.signal(signal.SIGPROF, _stop)
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.process_time()
    try:
        for case in range(args.first, args.first + args.cases):
            run_case(case, args, seeds, kinds, tally)
            if (case + 1) % 5000 == 0:
                print(f"  {case + 1 - args.first} cases, {len(tally.escaped)} escaped, "
                      f"{time.process_time() - started:.0f} s CPU", flush=True)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: report the cases run so far
        print(f"stopped after {tally.cases} of {args.cases} cases")
    report(tally, args, kinds, len(seeds), time.process_time() - started)


def report(tally: Tally, args: argparse.Namespace, kinds: list[str], seeds: int,
           elapsed: float) -> None:
    print(f"mutations: {', '.join(kinds)}")
    print(f"cases: {tally.cases} (seed {args.seed}, {seeds} seed mails, "
          f"{tally.total_bytes / 1e6:.1f} MB), {elapsed:.1f} s CPU, "
          f"{tally.cases / max(elapsed, 1e-9):.0f} cases/s")
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
    print(f"cases over 1 s CPU per 100 KB (of those over {_NOTICEABLE} s): {tally.over_goal}")


if __name__ == "__main__":
    main()
