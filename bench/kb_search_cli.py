"""`postdesk kb search -` without --lang, as an admin checks a list of customer questions.

    .venv/bin/python bench/kb_search_cli.py [--before OTHER_CHECKOUT/daemon]

Feeds the questions of `bench/kb_questions.tsv` (20 each in en, pl, de, against the
example desk's kb/) to `postdesk kb search - --json` of a fresh example desk and
counts, per answer line: arrays that mix languages (their scores do not compare),
arrays not in score order, and Recall@1 in the question's language (the first
article is the expected one, in the language the question is written in). With
`--before`, the same for another source tree in the same run (e.g. main's), so
that the two columns are measured on the same desk and questions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def questions() -> list[tuple[str, str, str]]:
    rows = []
    for line in (ROOT / "bench" / "kb_questions.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            language, article, question = line.split("\t")
            rows.append((language, article, question))
    return rows


def answers(source: Path, config: Path, asked: list[str]) -> list[list[dict[str, object]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    env["PYTHONPATH"] = str(source)
    done = subprocess.run([sys.executable, "-m", "postdesk.cli.main", "--config", str(config),
                           "kb", "search", "-", "--json"], input="\n".join(asked) + "\n",
                          capture_output=True, text=True, env=env, check=True, timeout=300)
    return [json.loads(line) for line in done.stdout.splitlines()]


def figures(rows: list[tuple[str, str, str]], found: list[list[dict[str, object]]]
            ) -> dict[str, int]:
    mixed = sum(len({hit["language"] for hit in hits}) > 1 for hits in found)
    unordered = sum([hit["score"] for hit in hits] != sorted(
        (hit["score"] for hit in hits), reverse=True) for hits in found)  # type: ignore[misc]
    right = sum(bool(hits) and (hits[0]["id"], hits[0]["language"]) == (article, language)
                for (language, article, _), hits in zip(rows, found, strict=True))
    return {"mixed": mixed, "unordered": unordered, "right": right}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another source tree's daemon/ folder")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "daemon"))
    from postdesk.config.desk_init import init_desk

    rows = questions()
    sources = [("this checkout", ROOT / "daemon")]
    if args.before:
        sources.insert(0, ("before", args.before.resolve()))
    with tempfile.TemporaryDirectory() as folder:
        config = init_desk(Path(folder) / "desk")
        print(f"{len(rows)} questions of bench/kb_questions.tsv, `kb search - --json`, "
              "no --lang")
        print(f"{'source':<16}{'mixed languages':>17}{'not best first':>16}"
              f"{'R@1 in its language':>21}")
        for name, source in sources:
            got = figures(rows, answers(source, config, [q for _, _, q in rows]))
            print(f"{name:<16}{got['mixed']:>17}{got['unordered']:>16}"
                  f"{got['right'] / len(rows):>21.3f}")


if __name__ == "__main__":
    main()
