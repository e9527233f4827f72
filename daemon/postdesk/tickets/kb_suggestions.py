"""Knowledge-base articles offered with a new ticket, recorded on it.

The new ticket's subject and text are searched in the customer's locale chain
(`kb_ranking.desk_ranking`); the articles good enough (`[kb] min_score`) go
into the context of the mails this event makes, as `suggestions` (the
acknowledgment shows them to the customer, the agents' notification to the
agents), and recorded as one `kb.suggested` event carrying each of them in
order (`kb_offered`), so that reports can count them and a later "solved" answer
knows it answers a suggestion.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from postdesk.config.runtime import Runtime
from postdesk.knowledge.solved_link import solved_link
from postdesk.knowledge.suggest import Suggestion, as_suggestion
from postdesk.notify.i18n import locale_chain
from postdesk.store.models import Ticket
from postdesk.tickets import kb_offered, service
from postdesk.tickets.kb_ranking import desk_ranking
from postdesk.tickets.unit_of_work import UnitOfWork

SUGGESTED = kb_offered.SUGGESTED


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
    `solved_link` when `[kb] solved_url` is set), recorded as one event."""
    found = suggestions_for(question, language, runtime, ticket.request_type)
    if found:
        service.record_event(ticket, SUGGESTED, kb_offered.suggested_event([
            {"article": suggestion.id, "language": suggestion.language,
             "score": suggestion.score, "rank": number}
            for number, suggestion in enumerate(found, 1)]), actor="system", now=now, work=work)
    settings = runtime.settings
    link = (solved_link(settings.kb.solved_url, settings.desk.secret, ticket.id)
            if found and settings.kb.solved_url else "")
    return {"suggestions": [s.as_context(whole=number == 0)
                            for number, s in enumerate(found)], "solved_link": link}
