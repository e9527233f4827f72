"""Locale-aware figures benchmark: what writing a KPI page's numbers the reader's way
costs (`postdesk.report.numbers`), against the plain f-strings the page used before.

    .venv/bin/python bench/report_numbers.py [--lines 1000]

A page line has 4 rates and 6 times (`kpi_formats.line_cells`); `--lines` lines of
varied figures are written with the old English f-strings (`sla_formats.percent` and
`span`, the baseline) and with `Numbers` for en, pl and de: the first page (Babel
computes each distinct figure once) and the next one (the cache answers). CPU time of
this process (process_time), best of 5. Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from postdesk.report.numbers import Numbers
from postdesk.report.sla_formats import percent, span


def figures(lines: int) -> list[tuple[list[float], list[int]]]:
    pick = random.Random(22)
    return [([pick.random() for _ in range(4)],
             [int(pick.expovariate(1 / 7200)) for _ in range(6)]) for _ in range(lines)]


def page(rows: list[tuple[list[float], list[int]]], rate: Callable[[float], str],
         time_of: Callable[[int], str]) -> int:
    return sum(len(rate(r)) for rates, _ in rows for r in rates) + \
        sum(len(time_of(s)) for _, times in rows for s in times)


def cpu(work: Callable[[], object]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1000)
    lines = parser.parse_args().lines
    rows = figures(lines)
    baseline = min(cpu(lambda: page(rows, percent, span)) for _ in range(5))
    print(f"{lines} lines, 10 figures each; CPU ms per page")
    print(f"  baseline (English f-strings):   {baseline * 1000:8.2f}")
    for language in ("en", "pl", "de"):
        numbers = Numbers.of(language)
        first = cpu(lambda n=numbers: page(rows, n.percent, n.span))
        warm = min(cpu(lambda n=numbers: page(rows, n.percent, n.span)) for _ in range(5))
        print(f"  Numbers({language}) first page:     {first * 1000:8.2f}"
              f"   next pages: {warm * 1000:8.2f}")


if __name__ == "__main__":
    main()
