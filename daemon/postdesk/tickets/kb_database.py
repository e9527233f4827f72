"""Suggestions searched in the database's index (`[kb] index = "database"`): a question's
terms and synonyms made by `postdesk.knowledge`, as the in-memory index weighs them,
asked of `postdesk.store.kb_index`, and given back as the same `Hit`s.

The process that polls the live files fills the index when `kb/` changes
(`postdesk.config.live_files`); `[kb] index = "memory"` (the default) searches
each process's own index instead: see README, "Knowledge base", for the figures
behind that default.
"""

from __future__ import annotations

from postdesk.knowledge.index import Hit
from postdesk.knowledge.library import KnowledgeBase
from postdesk.knowledge.suggest import Search
from postdesk.knowledge.words import base_language
from postdesk.store import kb_index


def search_database(kb: KnowledgeBase, text: str, language: str, limit: int, *,
                    public_only: bool = False, request_type: str | None = None) -> list[Hit]:
    """The best articles of `language` for `text` by the database's index, best first."""
    lang = base_language(language)
    index = kb.indexes.get(lang)
    if index is None:
        return []
    articles = {article.id: article for article in index.articles}
    hits = []
    # a few more than asked: rows of articles that do not apply are dropped here
    for found in kb_index.search(lang, index.query(text), limit * 3 if request_type else limit,
                                 public_only=public_only):
        article = articles.get(found.article)
        if article is not None and article.applies_to(request_type):
            hits.append(Hit(article, found.score, found.share))
    return hits[:limit]


def searcher(kb: KnowledgeBase, where: str) -> Search:
    """How this desk searches `kb`: `[kb] index` is "memory" or "database"."""
    if where != "database":
        return kb.search

    def search(text: str, *, language: str | None = None, limit: int = 10,
               public_only: bool = False, request_type: str | None = None) -> list[Hit]:
        languages = [language] if language else list(kb.indexes)
        hits = [hit for lang in languages
                for hit in search_database(kb, text, lang, limit, public_only=public_only,
                                           request_type=request_type)]
        hits.sort(key=lambda hit: -hit.score)
        return hits[:limit]

    return search
