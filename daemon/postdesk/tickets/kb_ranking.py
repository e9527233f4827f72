"""How this desk ranks its knowledge base's articles for a question: one function for every
place that asks.

The acknowledgment (`kb_suggestions`), the `kb_match` condition and
`answer_with_article` (`kb_answer`) and `postdesk kb search` all call
`desk_ranking`, so that an admin's check and a rule see the articles in the order
the customer gets them: searched where `[kb] index` says, and re-ordered by the
semantic re-ranker when `[kb] semantic` is on and its extra installed. Light on
imports: `postdesk kb search` starts without the store's models or the templates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from postdesk.config.settings import Settings
from postdesk.knowledge.index import Hit
from postdesk.knowledge.library import KnowledgeBase
from postdesk.knowledge.semantic import reranker
from postdesk.knowledge.suggest import Search, ranked


def semantic_order() -> Callable[[str, list[Hit]], list[Hit]] | None:
    """The semantic re-ranker's order, when its extra is installed (`[kb] semantic`)."""
    found = reranker()
    return found.rerank if found is not None else None


def desk_search(kb: KnowledgeBase, settings: Settings) -> Search:
    """Where this desk searches `kb`: its own index in memory, or the database's."""
    if settings.kb.index != "database":
        return kb.search
    from postdesk.tickets.kb_database import searcher  # the store: only for this desk

    return searcher(kb, "database")


def desk_ranking(kb: KnowledgeBase, settings: Settings, question: str,
                 languages: Sequence[str | None] | None, *, limit: int,
                 min_share: float = 0.0, public_only: bool = True,
                 request_type: str | None = None, search: Search | None = None) -> list[Hit]:
    """The articles of `kb` for `question` as this desk ranks them, best first
    (`knowledge.suggest.ranked`): searched by `search` (where `[kb] index` says when
    None), and re-ordered by the semantic re-ranker when `[kb] semantic` is on."""
    return ranked(kb, question, languages, min_share=min_share, limit=limit,
                  request_type=request_type, public_only=public_only,
                  search=search or desk_search(kb, settings),
                  rerank=semantic_order() if settings.kb.semantic else None)
