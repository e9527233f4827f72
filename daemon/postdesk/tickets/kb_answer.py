"""Rules and the knowledge base: `kb_match` looks up, `answer_with_article` answers.

`kb_matcher(runtime)` gives the rules engine the knowledge base's best public
articles for a text, in the customer's locale chain, among those that apply to
the ticket's request type, as the acknowledgment offers them (the same function,
`kb_ranking.desk_ranking`: with the semantic re-ranker when it is on; one
search per text, language and request type in a rules run). `answer_with_article` mails
the customer an article's text (the one named, or the best match at
`[kb] min_score`), stores it in the thread as the rule's public message,
records it as a `kb.suggested` event (so that "solved" in the answer resolves
the ticket as self-served, which the mail tells the customer) and sets the status
the rule asked for. The answer is the customer's one mail for the event: the
rules' `reply` mails of the same run (the acknowledgment) are folded into it
(`tickets.automation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from postdesk.automation import Effect
from postdesk.automation.model import KbBest, KbMatches
from postdesk.config.runtime import Runtime
from postdesk.knowledge.articles import Article, plain_text
from postdesk.notify.i18n import locale_chain
from postdesk.store.models import Customer, Ticket
from postdesk.tickets import service
from postdesk.tickets.effects import ChangedBy, apply_effect
from postdesk.tickets.kb_ranking import desk_ranking
from postdesk.tickets.kb_suggestions import SUGGESTED, suggestions_for
from postdesk.tickets.mailing import MailRequest


def kb_matcher(runtime: Runtime) -> KbBest:
    """The `RuleContext.kb_best` of this desk: (id, score) of the best public articles."""
    @lru_cache(maxsize=8)
    def best(text: str, language: str | None, request_type: str | None) -> KbMatches:
        kb = runtime.knowledge
        if not kb.articles:
            return ()
        settings = runtime.settings
        hits = desk_ranking(kb, settings, text,
                            locale_chain(language, settings.desk.default_language), limit=3,
                            request_type=request_type)
        return tuple((hit.article.id, hit.share) for hit in hits)

    return best


def _article(ticket: Ticket, params: Mapping[str, Any], question: str, runtime: Runtime
             ) -> tuple[Article | None, float | None]:
    requester: Customer = ticket.requester
    if params.get("article"):
        languages = locale_chain(requester.language, runtime.settings.desk.default_language)
        return runtime.knowledge.article(params["article"], languages), None
    found = suggestions_for(question, requester.language, runtime, ticket.request_type)
    if not found:
        return None, None
    return runtime.knowledge.article(found[0].id, [found[0].language]), found[0].score


def answer_with_article(ticket: Ticket, params: Mapping[str, Any], question: str,
                        runtime: Runtime, by: ChangedBy) -> tuple[MailRequest, str] | None:
    """The mail that answers with the article, and its text; None (and an event saying why)
    when there is no public article to send."""
    article, score = _article(ticket, params, question, runtime)
    if article is None or not article.public:
        service.record_event(ticket, "kb.answer_skipped",
                             {"article": params.get("article"),
                              "reason": "internal" if article else "no such article"},
                             actor="system", rule=by.rule, now=by.now, work=by.work)
        return None
    text = f"{article.title}\n\n{plain_text(article.body)}"
    service.record_event(ticket, SUGGESTED, {"article": article.id, "language": article.language,
                                             "score": score, "rank": 1, "answered": True},
                         actor="system", rule=by.rule, now=by.now, work=by.work)
    service.add_message(ticket, direction="out", visibility="public",
                        author_email=f"rule:{by.rule}", author_name="", subject=ticket.subject,
                        text=text, body=text, html=None, message_id=None, inbound=None,
                        attachments=(), now=by.now, work=by.work)
    if params.get("status"):
        apply_effect(ticket, Effect("set_status", {
            "status": params["status"], "reason": f"answered with article {article.id}"},
            rule=by.rule or "", auditor=True), by)
    # `kb_answer`: the mail says how to answer "solved" (`email/_solved_prompt`)
    request = MailRequest("agent_reply", ticket.requester.email, True,
                          extra={"agent": {"name": "", "email": ""},
                                 "kb_answer": {"id": article.id, "title": article.title}})
    return request, text
