"""Duplicates at intake: quality on StackFAQ paraphrases, CPU per mail with 10,000 open
tickets on SQLite and PostgreSQL. Prints figures; it is not a test.

    .venv/bin/python bench/duplicates.py [--rows 10000] [--mails 300] [--pg URL | --no-pg]

Quality: each paraphrased question of ../shared/corpus/stackfaq/ is a ticket; pairs of
paraphrases of the same FAQ are duplicates (positives), pairs of different FAQs are not.
Scored with the code intake uses (`postdesk.duplicates`: terms, tf-idf weights over the
625 questions, cosine). Printed at the shipped threshold and around it, against two sets
of negatives: as many pairs as positives (a fixed random sample, seed 21), and all of them.

Cost: a desk with `--rows` open tickets, indexed as intake indexes them (questions of
half the FAQs, each with a number of its own), then `--mails` new tickets about new problems
(the other FAQs) and `--mails` about known ones (the same half) each go through
`repeated_ticket` + `check_new_ticket` (the whole intake path, the link and note of a
possible duplicate included); CPU seconds of this process per mail
(`time.process_time`; on PostgreSQL the server's CPU is not in it, the wall time is
printed too). Baseline in the same run: the Message-ID lookup every
mail makes already (`ticket_lookups.earlier_copy`).
"""

from __future__ import annotations

import itertools
import random
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE)]
sys.path.insert(0, str(_HERE.parent / "daemon"))

import peewee  # noqa: E402

from _databases import engine_arguments, measured, on_each_engine  # noqa: E402
from postdesk.config.desk_init import init_desk  # noqa: E402
from postdesk.config.load import load_settings  # noqa: E402
from postdesk.config.runtime import Runtime  # noqa: E402
from postdesk.config.settings import DuplicateSettings  # noqa: E402
from postdesk.duplicates.detect import signature  # noqa: E402
from postdesk.duplicates.similarity import cosine, norm, weights  # noqa: E402
from postdesk.duplicates.text import exact_key, terms  # noqa: E402
from postdesk.store import duplicate_index, migrations, ticket_lookups  # noqa: E402
from postdesk.store.models import Customer, Ticket  # noqa: E402
from postdesk.tickets.duplicate_intake import (  # noqa: E402
    DuplicateCheck,
    MailTerms,
    check_new_ticket,
    intake_window,
    repeated_ticket,
)

CORPUS = _HERE.parent.parent / "shared" / "corpus" / "stackfaq" / "stackfaq-shared.xml"
SHIPPED = DuplicateSettings().threshold / 100
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def questions() -> list[tuple[int, str]]:
    root = ET.parse(CORPUS).getroot()
    return [(faq, (r.text or "").strip()) for faq, qa in enumerate(root.iter("qapair"))
            for r in qa.findall("rephr")]


def pair_scores(qs: list[tuple[int, str]]) -> dict[tuple[int, int], float]:
    """The score of every pair of questions (a < b), as intake computes it."""
    counts = [terms(text) for _, text in qs]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    vectors = [weights(signature(c, df, len(qs)), df, len(qs)) for c in counts]
    norms = [norm(v) for v in vectors]
    return {(a, b): cosine(vectors[a], vectors[b], a_norm=norms[a], b_norm=norms[b])
            for a, b in itertools.combinations(range(len(qs)), 2)}


def intake_rates(qs: list[tuple[int, str]], scores: dict[tuple[int, int], float],
                 threshold: float) -> tuple[float, float, float]:
    """At intake, with the questions of the first half of the FAQs open: of those
    questions arriving again (each against the others), the share whose best match is at
    or above the threshold and of its own FAQ (caught) or of another (wrong); of the
    questions of the other FAQs (new problems), the share flagged all the same."""
    open_ = [i for i, (faq, _) in enumerate(qs) if faq < 63]
    new = [i for i, (faq, _) in enumerate(qs) if faq >= 63]

    def best(i: int) -> tuple[float, int]:
        return max((scores[(min(i, j), max(i, j))], j) for j in open_ if j != i)

    caught = wrong = 0
    for i in open_:
        score, j = best(i)
        if score >= threshold:
            caught += qs[j][0] == qs[i][0]
            wrong += qs[j][0] != qs[i][0]
    alarms = sum(best(i)[0] >= threshold for i in new)
    return caught / len(open_), wrong / len(open_), alarms / len(new)


def precision_recall(positives: list[float], negatives: list[float],
                     threshold: float) -> tuple[float, float]:
    hits = sum(s >= threshold for s in positives)
    false = sum(s >= threshold for s in negatives)
    return hits / max(1, hits + false), hits / len(positives)


def quality() -> None:
    if not CORPUS.exists():
        print(f"quality: skipped ({CORPUS} is absent)")
        return
    qs = questions()
    scores = pair_scores(qs)
    positives = [v for (a, b), v in scores.items() if qs[a][0] == qs[b][0]]
    negatives = [v for (a, b), v in scores.items() if qs[a][0] != qs[b][0]]
    balanced = random.Random(21).sample(negatives, len(positives))
    print(f"quality: {len(qs)} questions, {len(positives):,} duplicate pairs, "
          f"{len(negatives):,} non-duplicate pairs (balanced sample {len(balanced):,})")
    print("  pairs: recall, precision against the balanced sample and against all pairs; "
          "intake (first half of the FAQs open): repeats caught / linked to a wrong FAQ, "
          "new problems flagged")
    print(f"  {'threshold':>9} {'recall':>7} {'P(balanced)':>12} {'P(all pairs)':>13} "
          f"{'caught':>7} {'wrong':>6} {'new flagged':>12}")
    steps = sorted({*(step / 100 for step in range(10, 62, 4)), SHIPPED})
    for threshold in steps:
        p_bal, recall = precision_recall(positives, balanced, threshold)
        p_all, _ = precision_recall(positives, negatives, threshold)
        caught, wrong, alarms = intake_rates(qs, scores, threshold)
        mark = "  <- shipped" if abs(threshold - SHIPPED) < 1e-9 else ""
        print(f"  {threshold:>9.2f} {recall:>7.3f} {p_bal:>12.3f} {p_all:>13.3f} "
              f"{caught:>7.3f} {wrong:>6.3f} {alarms:>12.3f}{mark}")


def _runtime(tmp: Path) -> Runtime:
    init_desk(tmp / "desk")
    return Runtime(load_settings(tmp / "desk" / "postdesk.toml", environ={}))


def _texts(count: int, *, seen: bool, seed: int) -> list[str]:
    """Ticket texts: a StackFAQ question of the first half of the FAQs (`seen`: the open
    tickets and the mails about their problems) or of the second half (mails about new
    problems), with a number (not a term) that makes each text another mail."""
    qs = [text for faq, text in questions() if (faq < 63) == seen] if CORPUS.exists() \
        else ["my printer is broken" if seen else "the scanner jams"]
    rng = random.Random(seed)
    return [f"{rng.choice(qs)} {rng.randrange(10**6)}"
            for _ in range(count)]


def _fill(database: peewee.Database, rows: int) -> None:
    with database.atomic():
        customer = Customer.create(email="bench@customer.example", created_at=NOW)
        rows_of = [{"subject": f"t{i}", "status": "new", "requester": customer.id,
                    "created_at": NOW - timedelta(minutes=rows - i), "updated_at": NOW}
                   for i in range(rows)]
        for chunk in peewee.chunked(rows_of, 1000):  # PostgreSQL: at most 65,535 parameters
            Ticket.insert_many(chunk).execute()
        ids = [t.id for t in Ticket.select(Ticket.id).order_by(Ticket.id)]
        for ticket_id, text in zip(ids, _texts(rows, seen=True, seed=7), strict=True):
            counts = terms(text)
            df, indexed = duplicate_index.term_counts(counts)
            kept = signature(counts, df, indexed)
            duplicate_index.index_ticket(ticket_id, exact_key("bench@customer.example", text),
                                         kept, norm(weights(kept, df, indexed + 1)))
    if isinstance(database, peewee.PostgresqlDatabase):
        database.execute_sql("ANALYZE")


def _intake(database: peewee.Database, runtime: Runtime, texts: list[str]) -> dict[str, Any]:
    """Each text as a new ticket through the intake path, each rolled back afterwards (the
    mails do not see each other: every one meets the same open tickets)."""
    customer = Customer.get()
    cpu = wall = base_cpu = 0.0
    flagged = 0
    for i, text in enumerate(texts):
        with database.atomic() as transaction:
            ticket = Ticket.create(subject="new", status="new", requester=customer,
                                   created_at=NOW, updated_at=NOW)
            c0, w0 = time.process_time(), time.perf_counter()
            check = DuplicateCheck(MailTerms(exact_key(f"new{i}@customer.example", text),
                                             terms(text)), intake_window(runtime, NOW))
            repeated_ticket(check)
            flagged += bool(check_new_ticket(ticket, check, runtime, NOW))
            c1, w1 = time.process_time(), time.perf_counter()
            ticket_lookups.earlier_copy(f"<m{i}@bench>", "new@customer.example", "0" * 64, 0)
            base_cpu += time.process_time() - c1
            cpu += c1 - c0
            wall += w1 - w0
            transaction.rollback()
    n = len(texts)
    return {"cpu_ms": round(cpu / n * 1000, 3), "wall_ms": round(wall / n * 1000, 3),
            "baseline_cpu_ms": round(base_cpu / n * 1000, 3), "flagged": flagged, "mails": n}


def _measure(database: peewee.Database, rows: int, mails: int, runtime: Runtime
             ) -> dict[str, Any]:
    migrations.migrate(database)
    start = time.perf_counter()
    _fill(database, rows)
    _intake(database, runtime, _texts(10, seen=True, seed=10))  # warm-up: catalogs, caches
    return {"rows": rows, "fill_s": round(time.perf_counter() - start, 1),
            "new problems": _intake(database, runtime, _texts(mails, seen=False, seed=8)),
            "known problems": _intake(database, runtime, _texts(mails, seen=True, seed=9))}


def main() -> int:
    parser = engine_arguments(__doc__.split("\n\n")[0])
    parser.set_defaults(rows=10_000)
    parser.add_argument("--mails", type=int, default=300)
    args = parser.parse_args()
    quality()
    with tempfile.TemporaryDirectory() as tmp:
        runtime = _runtime(Path(tmp))
        results = on_each_engine(lambda db: _measure(db, args.rows, args.mails, runtime),
                                 pg=args.pg, no_pg=args.no_pg, prefix="postdesk_dup_bench")
    for engine, figures in measured(results, args.json):
        print(f"{engine}: {figures['rows']:,} open tickets indexed in {figures['fill_s']} s")
        for kind in ("new problems", "known problems"):
            f = figures[kind]
            print(f"  {kind:<15} per new ticket {f['cpu_ms']:.3f} ms CPU ({f['wall_ms']:.3f} "
                  f"ms wall); baseline Message-ID lookup {f['baseline_cpu_ms']:.3f} ms CPU; "
                  f"{f['flagged']} of {f['mails']} flagged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
