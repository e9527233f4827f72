"""Plain text to HTML: the reflowing filter against the line-by-line one it replaced.

Every agent notification and every agent answer turns a message's text into
HTML. `reflow` (postdesk.notify.reflow) reads each paragraph twice (its width,
then its lines) and classifies every line; `nl2br` only escaped and split.
This prints both on the same texts, in the same run, so the cost of readable
paragraphs is a figure, not a guess:

    .venv/bin/python bench/reflow.py            # 20,000 renders of each text
    .venv/bin/python bench/reflow.py --count 2000
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from postdesk.notify.reflow import reflow
from postdesk.notify.template_helpers import nl2br

PARAGRAPH = ("ich habe am 3. Dezember festgestellt, dass mir die Jahresgebühr zweimal\n"
             "von meinem Girokonto abgebucht wurde. Bitte erstatten Sie den doppelten\n"
             "Betrag auf das bekannte Konto zurück, siehe https://bank.example/konto.\n")
TEXTS = {
    "short reply (3 lines)": "Hello,\n\nthe printer works again, thanks!\n",
    "wrapped mail (30 lines)": "Sehr geehrte Damen und Herren,\n\n" + "\n".join([PARAGRAPH] * 9)
                               + "\nMit freundlichen Grüßen\nAnna Weber\n",
    "long mail (300 lines)": "\n".join([PARAGRAPH + "- ein Punkt\n- noch einer\n> zitiert\n"]
                                       * 50),
}


def per_call(render: Callable[[str], object], text: str, count: int) -> float:
    """Microseconds per call, best of three runs of `count`."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(count):
            render(text)
        best = min(best, time.perf_counter() - start)
    return best / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    count = parser.parse_args().count
    print(f"{'text':<26} {'nl2br (baseline)':>18} {'reflow':>12} {'ratio':>7}")
    for name, text in TEXTS.items():
        base = per_call(nl2br, text, count)
        new = per_call(reflow, text, count)
        print(f"{name:<26} {base:>15.1f} µs {new:>9.1f} µs {new / base:>6.1f}x")


if __name__ == "__main__":
    main()
