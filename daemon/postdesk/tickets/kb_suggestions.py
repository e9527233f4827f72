"""Knowledge-base articles offered with a new ticket, recorded on it.

The new ticket's subject and text are searched in the customer's locale chain
(`postdesk.knowledge.suggest`); the articles good enough (`[kb] min_score`) go
into the context of the mails this event makes, as `suggestions` (the
acknowledgment shows them to the customer, the agents' notification to the
agents), and each is recorded as a `kb.suggested` event, so that reports can
count them and a later "solved" answer knows it answers a suggestion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.knowledge.index import Hit
from postdesk.knowledge.library import KnowledgeBase
from postdesk.knowledge.semantic import reranker
from postdesk.knowledge.solved_link import solved_link
from postdesk.knowledge.suggest import Search, Suggestion, as_suggestion, ranked
from postdesk.notify.i18n import locale_chain
from postdesk.store.models import Ticket
from postdesk.tickets import service
from postdesk.tickets.kb_database import searcher
from postdesk.tickets.unit_of_work import UnitOfWork

SUGGESTED = "kb.suggested"


def semantic_order() -> Callable[[str, list[Hit]], list[Hit]] | None:
    """The semantic re-ranker's order, when its extra is installed (`[kb] semantic`)."""
    found = reranker()
    return found.rerank if found is not None else None


def desk_ranking(kb: KnowledgeBase, settings: Settings, question: str,
                 languages: Sequence[str | None] | None, *, limit: int,
                 min_share: float = 0.0, public_only: bool = True,
                 request_type: str | None = None, search: Search | None = None) -> list[Hit]:
    """The articles of `kb` for `question` as this desk ranks them, best first
    (`knowledge.suggest.ranked`): searched where `[kb] index` says (or by `search`), and
    re-ordered by the semantic re-ranker when `[kb] semantic` is on and its extra
    installed. The acknowledgment, the `kb_match` condition and `postdesk kb search` all
    ask this one function, so that an admin's check and a rule see what a customer gets."""
    return ranked(kb, question, languages, min_share=min_share, limit=limit,
                  request_type=request_type, public_only=public_only,
                  search=search or searcher(kb, settings.kb.index),
                  rerank=semantic_order() if settings.kb.semantic else None)


def suggestions_for(question: str, language: str | None, runtime: Runtime,
                    request_type: str | None = None) -> list[Suggestion]:
    """What the desk would suggest for `question` from a customer writing in `language`, on
    a ticket of `request_type` (only the articles that apply to it)."""
    settings = runtime.settings
    kb = runtime.knowledge
    if not kb.articles or settings.kb.suggestions <= 0:
        return []
    found = desk_ranking(kb, settings, question,
                         locale_chain(language, settings.desk.default_language),
                         limit=settings.kb.suggestions, min_share=settings.kb.min_score / 100,
                         request_type=request_type)
    return [as_suggestion(hit.article, hit.share) for hit in found]


def suggest_for_ticket(ticket: Ticket, question: str, language: str | None, runtime: Runtime,
                       *, now: datetime, work: UnitOfWork | None) -> dict[str, Any]:
    """The suggestions for a new ticket as template context (`suggestions`, and
    `solved_link` when `[kb] solved_url` is set), each recorded as an event."""
    found = suggestions_for(question, language, runtime, ticket.request_type)
    for number, suggestion in enumerate(found, 1):
        service.record_event(ticket, SUGGESTED,
                             {"article": suggestion.id, "language": suggestion.language,
                              "score": suggestion.score, "rank": number},
                             actor="system", now=now, work=work)
    settings = runtime.settings
    link = (solved_link(settings.kb.solved_url, settings.desk.secret, ticket.id)
            if found and settings.kb.solved_url else "")
    return {"suggestions": [s.as_context(whole=number == 0)
                            for number, s in enumerate(found)], "solved_link": link}
