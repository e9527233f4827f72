"""Which articles to offer a customer: up to a few, good enough, in the customer's language.

The question is searched in the first language of the customer's locale chain
that has an article above the threshold. Good enough is judged by
`confidence`: the part of the best score that the question's content words
could reach, counting the words the articles do not know as asked and not
answered (0..1), so that "Keyboard missing keys" gets no article about a
missing network drive. A weak suggestion is worse than none, so nothing above
the threshold means no suggestion at all. The articles keep the search's
order. Only public articles are ever suggested: internal ones are for agents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from postdesk.knowledge import confidence
from postdesk.knowledge.articles import Article
from postdesk.knowledge.index import Hit
from postdesk.knowledge.library import KnowledgeBase
from postdesk.knowledge.semantic import CANDIDATES
from postdesk.knowledge.words import base_language


@dataclass(frozen=True)
class Suggestion:
    """One article as the acknowledgment and the agents' notification show it."""

    id: str
    title: str
    language: str
    score: float  # the share of the best reachable score, rounded
    excerpt: str
    text: str  # the article as plain text, for a mail

    def as_context(self, *, whole: bool = True) -> dict[str, Any]:
        """The suggestion for a template; without its `text` unless `whole` (the mails
        show the whole text of the best article only: the others' texts would only make
        every outgoing mail's stored context bigger)."""
        found = dict(vars(self))  # every field a str or a float: no deep copy needed
        if not whole:
            found["text"] = ""
        return found


def as_suggestion(article: Article, share: float) -> Suggestion:
    return Suggestion(article.id, article.title, article.language, round(share, 3),
                      article.summary, article.plain)


def chain(languages: Sequence[str | None]) -> list[str]:
    """The base languages of a locale chain, each once, in order (`pt_BR` -> `pt`)."""
    return list(dict.fromkeys(base_language(lang) for lang in languages if lang))


class Search(Protocol):
    """`KnowledgeBase.search`, or the same asked of the database's index."""

    def __call__(self, text: str, *, language: str | None = None, limit: int = 10,
                 public_only: bool = False, request_type: str | None = None) -> list[Hit]: ...


#: How much of a mail is read for suggestions: a customer says what it is about first.
QUESTION_CHARS = 600


def ranked(kb: KnowledgeBase, question: str, languages: Sequence[str | None] | None, *,
           min_share: float, limit: int, request_type: str | None = None,
           public_only: bool = True, search: Search | None = None,
           rerank: Callable[[str, list[Hit]], list[Hit]] | None = None) -> list[Hit]:
    """Up to `limit` articles for `question` (its first `QUESTION_CHARS`), best first,
    with a `confidence` of at least `min_share` (given as their `share`), in the first
    language of `languages` that has any (None: every language at once). A ticket of
    `request_type` is offered only the articles that apply to it (`applies_to`).
    `search`: how (the knowledge base's own index when None); `rerank`: re-orders the (up
    to `semantic.CANDIDATES`) good enough articles, by their word share, before the best
    `limit` are taken."""
    if limit <= 0:
        return []
    search = search or kb.search
    question = question[:QUESTION_CHARS]
    wanted = max(limit, CANDIDATES) if rerank else limit
    for language in chain(languages) if languages is not None else [None]:
        found = search(question, language=language, limit=wanted, public_only=public_only,
                       request_type=request_type)
        judged = confidence.confidences(kb.indexes, question, found, wanted=min_share)
        sure = dict(zip((hit.article.key for hit in found), judged, strict=True))
        hits = [hit for hit in found if sure[hit.article.key] >= min_share]
        if hits:
            return [replace(hit, share=sure[hit.article.key])
                    for hit in (rerank(question, hits) if rerank else hits)[:limit]]
    return []


def suggest(kb: KnowledgeBase, question: str, languages: Sequence[str | None], *,
            min_share: float, limit: int = 3, request_type: str | None = None,
            search: Search | None = None,
            rerank: Callable[[str, list[Hit]], list[Hit]] | None = None) -> list[Suggestion]:
    """The public articles `ranked` offers for `question`, as the mails show them."""
    return [as_suggestion(hit.article, hit.share)
            for hit in ranked(kb, question, languages, min_share=min_share, limit=limit,
                              request_type=request_type, search=search, rerank=rerank)]
