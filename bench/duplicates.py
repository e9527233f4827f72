"""Duplicates at intake: quality on StackFAQ paraphrases, CPU per mail with 10,000 open
tickets on SQLite and PostgreSQL. Prints figures; it is not a test.

    .venv/bin/python bench/duplicates.py [--rows 10000] [--mails 300] [--pg URL | --no-pg]

Quality: each paraphrased question of ../shared/corpus/stackfaq/ is a ticket; pairs of
paraphrases of the same FAQ are duplicates (positives), pairs of different FAQs are not.
Scored with the code intake uses (`postdesk.duplicates`: terms, tf-idf weights over the
625 questions, cosine). Printed at the shipped threshold and around it, against two sets
of negatives: as many pairs as positives (a fixed random sample, seed 21), and all of them.

Cost: a desk with `--rows` open tickets, indexed as intake indexes them (texts built from
the StackFAQ questions with random extra words), then `--mails` new tickets each go
through `repeated_ticket` + `check_new_ticket` (the whole intake path); CPU seconds of
this process per mail (`time.process_time`; on PostgreSQL the server's CPU is not in
it, the wall time is printed too). Baseline in the same run: the Message-ID lookup every
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
from postdesk.duplicates.similarity import cosine, norm, weights  # noqa: E402
from postdesk.duplicates.text import exact_key, terms  # noqa: E402
from postdesk.store import duplicate_index, migrations, ticket_lookups  # noqa: E402
from postdesk.store.models import Customer, Ticket  # noqa: E402
from postdesk.tickets.duplicate_intake import (  # noqa: E402
    MailTerms,
    check_new_ticket,
    repeated_ticket,
)

CORPUS = _HERE.parent.parent / "shared" / "corpus" / "stackfaq" / "stackfaq-shared.xml"
SHIPPED = DuplicateSettings().threshold / 100
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
_FILLER_TEXT = ("monday printer laptop screen office meeting invoice payment report folder "
                "server update phone badge wifi network backup license camera calendar")
FILLER = _FILLER_TEXT.split()


def questions() -> list[tuple[int, str]]:
    root = ET.parse(CORPUS).getroot()
    return [(faq, (r.text or "").strip()) for faq, qa in enumerate(root.iter("qapair"))
            for r in qa.findall("rephr")]


def pair_scores(qs: list[tuple[int, str]]) -> tuple[list[float], list[float]]:
    counts = [terms(text) for _, text in qs]
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    vectors = [weights(c, df, len(qs)) for c in counts]
    norms = [norm(v) for v in vectors]
    positives, negatives = [], []
    for a, b in itertools.combinations(range(len(qs)), 2):
        score = cosine(vectors[a], vectors[b], a_norm=norms[a], b_norm=norms[b])
        (positives if qs[a][0] == qs[b][0] else negatives).append(score)
    return positives, negatives


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
    positives, negatives = pair_scores(qs)
    balanced = random.Random(21).sample(negatives, len(positives))
    print(f"quality: {len(qs)} questions, {len(positives):,} duplicate pairs, "
          f"{len(negatives):,} non-duplicate pairs (balanced sample {len(balanced):,})")
    print(f"  {'threshold':>9} {'recall':>7} {'P(balanced)':>12} {'P(all pairs)':>13}")
    for step in range(10, 62, 4):
        threshold = step / 100
        p_bal, recall = precision_recall(positives, balanced, threshold)
        p_all, _ = precision_recall(positives, negatives, threshold)
        mark = "  <- shipped" if abs(threshold - SHIPPED) < 1e-9 else ""
        print(f"  {threshold:>9.2f} {recall:>7.3f} {p_bal:>12.3f} {p_all:>13.3f}{mark}")
    if all(abs(s / 100 - SHIPPED) > 1e-9 for s in range(10, 62, 4)):
        p_bal, recall = precision_recall(positives, balanced, SHIPPED)
        p_all, _ = precision_recall(positives, negatives, SHIPPED)
        print(f"  {SHIPPED:>9.2f} {recall:>7.3f} {p_bal:>12.3f} {p_all:>13.3f}  <- shipped")


def _runtime(tmp: Path) -> Runtime:
    init_desk(tmp / "desk")
    return Runtime(load_settings(tmp / "desk" / "postdesk.toml", environ={}))


def _texts(rows: int) -> list[str]:
    qs = [text for _, text in questions()] if CORPUS.exists() else ["my printer is broken"]
    rng = random.Random(7)
    return [f"{qs[i % len(qs)]} {' '.join(rng.sample(FILLER, 3))} ref{rng.randrange(10**6)}"
            for i in range(rows)]


def _fill(database: peewee.Database, rows: int) -> None:
    with database.atomic():
        customer = Customer.create(email="bench@customer.example", created_at=NOW)
        rows_of = [{"subject": f"t{i}", "status": "new", "requester": customer.id,
                    "created_at": NOW - timedelta(minutes=rows - i), "updated_at": NOW}
                   for i in range(rows)]
        for chunk in peewee.chunked(rows_of, 1000):  # PostgreSQL: at most 65,535 parameters
            Ticket.insert_many(chunk).execute()
        ids = [t.id for t in Ticket.select(Ticket.id).order_by(Ticket.id)]
        for ticket_id, text in zip(ids, _texts(rows), strict=True):
            counts = terms(text)
            df, indexed = duplicate_index.term_counts(counts)
            duplicate_index.index_ticket(ticket_id, exact_key("bench@customer.example", text),
                                         counts, norm(weights(counts, df, indexed + 1)))
    if isinstance(database, peewee.PostgresqlDatabase):
        database.execute_sql("ANALYZE")


def _measure(database: peewee.Database, rows: int, mails: int, runtime: Runtime
             ) -> dict[str, Any]:
    migrations.migrate(database)
    start = time.perf_counter()
    _fill(database, rows)
    figures: dict[str, Any] = {"rows": rows, "fill_s": round(time.perf_counter() - start, 1)}
    customer = Customer.get()
    texts = _texts(rows + mails)[rows:]
    cpu = wall = base_cpu = 0.0
    flagged = 0
    with database.atomic() as transaction:
        for i, text in enumerate(texts):
            ticket = Ticket.create(subject="new", status="new", requester=customer,
                                   created_at=NOW, updated_at=NOW)
            c0, w0 = time.process_time(), time.perf_counter()
            mail = MailTerms(exact_key(f"new{i}@customer.example", text), terms(text))
            repeated_ticket(mail, runtime, NOW)
            flagged += bool(check_new_ticket(ticket, mail, runtime, NOW))
            c1, w1 = time.process_time(), time.perf_counter()
            ticket_lookups.earlier_copy(f"<m{i}@bench>", "new@customer.example", "0" * 64, 0)
            base_cpu += time.process_time() - c1
            cpu += c1 - c0
            wall += w1 - w0
        transaction.rollback()
    figures.update(cpu_ms=round(cpu / mails * 1000, 3), wall_ms=round(wall / mails * 1000, 3),
                   baseline_cpu_ms=round(base_cpu / mails * 1000, 3),
                   flagged=flagged, mails=mails)
    return figures


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
    for engine, f in measured(results, args.json):
        print(f"{engine}: {f['rows']:,} open tickets indexed in {f['fill_s']} s; per new "
              f"ticket: {f['cpu_ms']:.3f} ms CPU ({f['wall_ms']:.3f} ms wall), baseline "
              f"Message-ID lookup {f['baseline_cpu_ms']:.3f} ms CPU; {f['flagged']} of "
              f"{f['mails']} flagged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
