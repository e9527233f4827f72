"""The search index: BM25F over an article's title, aliases and text, per language.

Each language has its own index (its own stemmer and statistics). A field's
term frequencies are weighted (title and aliases above the text) and length
normalised, then saturated once (BM25F). German words that the articles do not
know are split into the parts they do know (`words.split_compound`), on both
sides. The score of a hit is also given as a share of the best the question's
known words could reach, in [0, 1]; what the desk offers is judged by
`confidence`, which also counts the words the articles do not know.

The index lives in memory in each process and is rebuilt when `kb/` changes:
its input is the files, and a thousand articles build in well under a second.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy

from postdesk.knowledge.articles import Article
from postdesk.knowledge.synonyms import SYNONYM_WEIGHT, synonyms
from postdesk.knowledge.words import (
    base_language,
    kept_tokens,
    split_compound,
    stem,
    stemmed,
    words,
)

#: Field weights: a word in the title or an alias counts this much more than in the text.
TITLE_WEIGHT = 7.0
ALIAS_WEIGHT = 7.0
BODY_WEIGHT = 1.0
K1 = 3.0
B = {"title": 0.3, "aliases": 0.3, "body": 0.9}
#: A question's words looked up at most (its rarest ones): a long mail costs no more.
MAX_QUERY_TERMS = 24
#: Texts whose terms `LanguageIndex.read` keeps (a question and its readings, per thread).
_READ_KEPT = 8
_FIELDS = (("title", TITLE_WEIGHT), ("aliases", ALIAS_WEIGHT), ("body", BODY_WEIGHT))


@dataclass(frozen=True)
class Hit:
    """One article found for a question: its BM25F score and that score's share of the
    best reachable (0..1); `suggest.ranked` gives its `confidence` as the share instead."""

    article: Article
    score: float
    share: float


class LanguageIndex:
    """The articles of one language."""

    def __init__(self, language: str, articles: Sequence[Article]) -> None:
        self.language = language
        self.articles = list(articles)
        fields = [self._fields(a) for a in self.articles]
        self.vocabulary = {w for f in fields for terms in f.values() for w in terms}
        if language == "de":  # split the compounds the articles spell as one word, too
            fields = [{name: self._decompounded(terms) for name, terms in f.items()}
                      for f in fields]
            self.vocabulary = {w for f in fields for terms in f.values() for w in terms}
        #: each article's terms per field (title, aliases, body), as the index compares them
        self.fields = fields
        lengths = [{name: len(terms) for name, terms in f.items()} for f in fields]
        count = max(len(fields), 1)
        average = {name: max(sum(ln[name] for ln in lengths) / count, 1.0)
                   for name, _ in _FIELDS}
        # each posting carries its saturated BM25F term weight: a search only adds them up
        counts: dict[str, dict[int, float]] = defaultdict(dict)
        for number, f in enumerate(fields):
            for name, weight in _FIELDS:
                norm = 1 - B[name] + B[name] * lengths[number][name] / average[name]
                for term, tf in Counter(f[name]).items():
                    found = counts[term]
                    found[number] = found.get(number, 0.0) + weight * tf / norm
        total = len(fields)
        #: term -> (idf, the articles that have it, each one's saturated weight x idf); the
        #: article numbers as `intp`, the type `numpy.bincount` counts in (int32 was cast
        #: on every search)
        self.postings: dict[str, tuple[float, Any, Any]] = {}
        for term, docs in counts.items():
            idf = math.log(1 + (total - len(docs) + 0.5) / (len(docs) + 0.5))
            weighted = numpy.fromiter(docs.values(), dtype=numpy.float64, count=len(docs))
            self.postings[term] = (idf, numpy.fromiter(docs, dtype=numpy.intp, count=len(docs)),
                                   idf * weighted / (K1 + weighted))
        #: what `confidence` reads: each article's number by id, its terms with their
        #: saturated weight x idf (the postings by article), the terms that name it (title
        #: and aliases), how many articles each term names, the mean idf
        self.number = {article.id: number for number, article in enumerate(self.articles)}
        self.weights_of: list[dict[str, float]] = [{} for _ in fields]
        for term, (_idf, found, weighted) in self.postings.items():
            for number, value in zip(found.tolist(), weighted.tolist(), strict=True):
                self.weights_of[number][term] = value
        self.named = [frozenset((*f["title"], *f["aliases"])) for f in fields]
        self.name_counts = Counter(t for names in self.named for t in names)
        self.mean_idf = (sum(p[0] for p in self.postings.values()) / len(self.postings)
                         if self.postings else 0.0)
        #: the last texts `read`, with their terms and weights
        self._read: dict[str, tuple[tuple[str, ...], dict[str, float]]] = {}
        #: the internal articles' numbers, which a customer's search leaves out
        self.internal = numpy.flatnonzero(~numpy.array([a.public for a in self.articles],
                                                       dtype=bool))

    def _fields(self, article: Article) -> dict[str, list[str]]:
        return dict(_article_terms(article, self.language))

    def _decompounded(self, terms: list[str]) -> list[str]:
        out: list[str] = []
        for term in terms:
            out.append(term)
            out += split_compound(term, "de", self.vocabulary) if len(term) >= 8 else []
        return out

    def query_terms(self, text: str) -> list[str]:
        """The question's words as this index compares them: unknown German compounds
        split, and two words the articles write as one (``git hub``) joined."""
        surface = kept_tokens(text, self.language)
        vocabulary = self.vocabulary
        out = stemmed(surface, self.language)
        if self.language == "de":
            out = [found for token, term in zip(surface, out, strict=True)
                   for found in (
                       [term] if term in vocabulary or len(token) < 8
                       else split_compound(token, "de", vocabulary) or [term])]
        joined = stemmed([first + second for first, second in pairwise(surface)],
                         self.language)
        return out + [term for term in joined if term in vocabulary]

    def query(self, text: str) -> dict[str, float]:
        """The terms to look up, with their weights: the question's own words (1) and the
        synonyms of those (`synonyms.SYNONYM_WEIGHT`). Not to be changed by the caller."""
        return self.read(text)[1]

    def read(self, text: str) -> tuple[tuple[str, ...], dict[str, float]]:
        """`query_terms` and `query` of `text`, both not to be changed by the caller. The
        last few texts' are kept: the search reads a question, then `confidence` its first
        line and the same text again (a mail without a signature, or whose signature is
        beyond the part read), and for a 600-character question the words cost about half
        as much as the search."""
        kept = self._read
        found = kept.get(text)
        if found is None:
            terms = tuple(self.query_terms(text))
            found = (terms, self.weigh(terms))
            if len(kept) >= _READ_KEPT:
                kept.clear()  # threads may share the index: each operation is atomic
            kept[text] = found
        return found

    def weigh(self, terms: Sequence[str]) -> dict[str, float]:
        """`query` of the question's terms (`query_terms`)."""
        asked = list(dict.fromkeys(terms))
        own = [t for t in asked if t in self.postings]
        if len(own) > MAX_QUERY_TERMS:  # a long mail: its rarest words say what it is about
            rarest = set(sorted(own, key=lambda t: -self.postings[t][0])[:MAX_QUERY_TERMS])
            own = [t for t in own if t in rarest]
            asked = own
        weights = dict.fromkeys(own, 1.0)
        table = synonyms(self.language)
        for term in asked:  # a word the articles do not use may have a synonym they do
            for other in table.get(term, ()):
                if other in self.postings and other not in weights:
                    weights[other] = SYNONYM_WEIGHT
        return weights

    def search(self, text: str, limit: int, *, public_only: bool = False,
               request_type: str | None = None) -> list[Hit]:
        postings = self.postings
        weights = self.query(text) if limit > 0 else {}
        if not weights:
            return []
        best = (sum(postings[t][0] for t, weight in weights.items() if weight == 1.0)
                or max(postings[t][0] for t in weights))
        scores = self.scores(weights)
        if public_only and len(self.internal):
            scores[self.internal] = 0.0
        hits = self._best(scores, limit, request_type, best)
        if len(hits) < limit and request_type:  # some did not apply: look further down
            hits = self._best(scores, limit, request_type, best, everything=True)
        return hits

    def scores(self, weights: dict[str, float]) -> Any:
        """Every article's score for the terms `weights` (`query`'s), by article number."""
        if not weights:
            return numpy.zeros(len(self.articles))
        numbers, parts = [], []
        for term, weight in weights.items():
            _idf, found, weighted = self.postings[term]
            parts.append(weighted if weight == 1.0 else weighted * weight)
            numbers.append(found)
        # one pass over every posting, each article's parts added in the terms' order
        return numpy.bincount(numpy.concatenate(numbers), numpy.concatenate(parts),
                              minlength=len(self.articles))

    def _best(self, scores: Any, limit: int, request_type: str | None, best: float, *,
              everything: bool = False) -> list[Hit]:
        """Up to `limit` articles with a score that apply to `request_type`, best first
        (equal scores in the articles' order). Unless `everything`, only the articles
        scoring at least the `limit`-th best are sorted: the same first `limit`, without
        sorting a thousand articles that share a word with the question."""
        count = len(scores)
        cut = 0.0
        if not everything and count > limit:
            cut = float(numpy.partition(scores, count - limit)[count - limit])
        chosen = numpy.flatnonzero(scores >= cut) if cut > 0.0 else numpy.flatnonzero(scores)
        ranked = chosen[numpy.argsort(-scores[chosen], kind="stable")]
        hits: list[Hit] = []
        for number in ranked.tolist():
            article = self.articles[number]
            if not article.applies_to(request_type):
                continue
            score = float(scores[number])
            hits.append(Hit(article, score, min(score / best, 1.0)))
            if len(hits) >= limit:
                break
        return hits


@lru_cache(maxsize=20000)
def _article_terms(article: Article, language: str) -> tuple[tuple[str, list[str]], ...]:
    """An article's words per field; kept, so that a reload after one article changed
    stems only that one (the lists are never changed in place)."""
    return (("title", words(article.title, language)),
            ("aliases", [w for alias in article.aliases for w in words(alias, language)]),
            ("body", words(article.body, language)))


def build(articles: Iterable[Article]) -> dict[str, LanguageIndex]:
    """One index per language of the articles."""
    by_language: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        by_language[base_language(article.language)].append(article)
    return {lang: LanguageIndex(lang, found) for lang, found in by_language.items()}


__all__ = ["Hit", "LanguageIndex", "build", "stem"]
