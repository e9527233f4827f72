"""How sure a suggestion is: the part of what the customer asks about that an article answers.

The index's `Hit.share` compares an article's score with the best that the
question's words *known to the knowledge base* could reach, so a short
question whose one known word is common in the articles scores high
("Keyboard missing keys" -> "Open the team's shared drive", 0.72: only
"missing" is known, and two articles' aliases have it). What the desk offers
(`suggest.ranked`) and the score it reports are this module's `confidence`
instead, read the way a support agent would read the question:

* Content words only: the everyday words of `common_words` (greetings,
  "please", "working", "new") are evidence neither for nor against.
* Each content word is answered at most once: by itself or by its best
  synonym (`synonyms`, at their weight), so an article that has "mail" and
  "email" does not score twice for one "mail"; a word counts in the reachable
  best with its idf (or its best synonym's, weighted).
* A content word the knowledge base does not know ("keyboard", "projector",
  "Tastatur") is part of what was asked and not answered: it counts in the
  reachable best at `UNKNOWN_WEIGHT` times the index's mean idf (a typical
  word of these articles). Words with digits (invoice and error numbers) do
  not count.
* Two readings of the question, the better one counts: its first line (a
  mail's subject, a one-line chat question) and its text without the
  signature (`postdesk.mail.reply_signature`): names, job titles and phone
  numbers say nothing about the question, and a subject often says it all.
* One content word alone is evidence enough only when it names this article
  and no other (it is in this article's title or aliases and in no other
  article's); otherwise an article needs two of the question's content words
  (a word's synonyms count as that word).
* An article the words rank lower is never surer than one above it (the
  confidence is capped by the hit above), so a list reads best first and
  what is good enough is the top of the search's order.

The confidence is a share in [0, 1] like `Hit.share`, so `[kb] min_score`
keeps its meaning: the part of the best reachable score, now reachable by
every content word the customer wrote. The order of the articles is the
search's: this only decides which are good enough and the score shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from postdesk.knowledge.common_words import common_words
from postdesk.knowledge.index import Hit, LanguageIndex
from postdesk.knowledge.synonyms import synonyms
from postdesk.knowledge.words import base_language

#: What a content word the knowledge base does not know weighs in the reachable best, in
#: units of the index's mean idf (chosen on the tuning half of bench/kb_off_topic.tsv,
#: bench/kb_mails.tsv and StackFAQ; 0.5 let a fifth of the short off-topic questions
#: through, 1.0 dropped right answers to paraphrased questions).
UNKNOWN_WEIGHT = 0.75


def readings(question: str) -> list[str]:
    """The question's first line, and its text without a signature when that differs."""
    # imported here: `postdesk kb search` starts without the mail patterns until it asks
    from postdesk.mail.reply_signature import split_signature

    first = question.split("\n", 1)[0]
    body, signature = split_signature(question.split("\n"))
    # no signature: the question itself (the text the search read, whose words are kept)
    text = "\n".join(body) if body and signature else question
    return [first, text] if text.strip() != first.strip() else [first]


class _Reading:
    """One reading of the question against one language's index: its content words (each
    with the synonyms of it that the articles use) and what they could reach."""

    def __init__(self, index: LanguageIndex, text: str) -> None:
        common = common_words(index.language)
        postings = index.postings
        asked, looked_up = index.read(text)
        self.weights = weights = {term: weight for term, weight in looked_up.items()
                                  if term not in common}
        self.own = [term for term, weight in self.weights.items() if weight == 1.0]
        table = synonyms(index.language)
        unknown: set[str] = set()
        #: each content word the articles know, itself or by a synonym: the terms it is
        self.words: list[frozenset[str]] = []
        reachable = 0.0
        for term in dict.fromkeys(asked):
            if term in common:
                continue
            others = table.get(term)
            if others:  # the word, or the best of its synonyms the articles use
                forms = frozenset(t for t in (term, *others) if t in weights)
                if forms:
                    reachable += max(weights[t] * postings[t][0] for t in forms)
            elif term in weights:  # most words: no synonym
                forms = frozenset((term,))
                reachable += weights[term] * postings[term][0]
            else:
                forms = frozenset()
            if forms:
                self.words.append(forms)
            elif term not in postings and term.isalpha() and len(term) > 2:
                unknown.add(term)
        self.reachable = reachable + len(unknown) * UNKNOWN_WEIGHT * index.mean_idf

    def confidence(self, index: LanguageIndex, number: int) -> float:
        if self.reachable <= 0.0 or not self.weights:
            return 0.0
        terms = index.weights_of[number]
        named = index.named[number]
        alone = any(term in named and term in terms and index.name_counts[term] == 1
                    for term in self.own)
        if not alone and sum(not forms.isdisjoint(terms) for forms in self.words) < 2:
            return 0.0
        score = 0.0  # each word answered once: by itself or by its best synonym
        for forms in self.words:
            score += max(self.weights[t] * terms.get(t, 0.0) for t in forms)
        return min(score / self.reachable, 1.0)


def confidences(indexes: dict[str, LanguageIndex], question: str,
                hits: Sequence[Hit], *, wanted: float = 0.0) -> list[float]:
    """Each hit's confidence for `question` (the text that was searched), in [0, 1], `hits`
    best first: at most the confidence of the hit above it, so that an article the words
    rank lower is never surer than one above it (the list reads best first, and what is
    good enough is the top of the search's order). Once a hit is below `wanted` (the
    caller's threshold), the ones after it are given its confidence without reading them:
    they are below too, and the caller keeps none of them."""
    found: dict[str, list[_Reading]] = {}
    out = []
    ceiling = 1.0
    for hit in hits:
        if ceiling < wanted or ceiling == 0.0:
            out.append(ceiling)
            continue
        language = base_language(hit.article.language)
        index = indexes.get(language)
        number = index.number.get(hit.article.id) if index is not None else None
        if index is None or number is None:
            sure = 0.0
        else:
            if language not in found:
                found[language] = [_Reading(index, text) for text in readings(question)]
            sure = max(reading.confidence(index, number) for reading in found[language])
        ceiling = min(ceiling, sure)
        out.append(ceiling)
    return out
