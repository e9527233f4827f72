"""A ticket the customer solved with a suggested article: resolved as self-served.

Two ways in, one outcome. The customer answers the acknowledgment with a reply
whose new text says so ("solved", "rozwiązane", "gelöst", "thanks, that fixed
it": `postdesk.mail.solved`), or confirms the signed one-click link
(`postdesk.knowledge.solved_link`; only its POST resolves). Only a ticket that
was offered articles (`kb.suggested`) and is still open is resolved this way:
elsewhere "solved" is just words for the agent to read.

The ticket's status becomes `resolved` (the desk's first closed status when it
has none of that name; its customer-facing name is the desk's, "Resolved"), by
the customer; `kb.self_served` records how and with which
articles, and counts as a deflection in `postdesk report`. For the SLA, the
article was the desk's answer: the response clocks stop met and the resolution
clock stops met with the status (`postdesk.sla.tracking.track`). An agents' notification
still waiting for the requester (a chat ticket: `tickets.chat_wait`) never goes.
"""

from __future__ import annotations

from datetime import datetime

from postdesk.automation import Effect
from postdesk.config.runtime import Runtime
from postdesk.store.models import Ticket
from postdesk.store.ticket_history import event_data
from postdesk.tickets import service
from postdesk.tickets.automation import run_rules_for_changes
from postdesk.tickets.chat_wait import cancel_agents
from postdesk.tickets.effects import ChangedBy, apply_effect
from postdesk.tickets.kb_offered import SUGGESTED, offered
from postdesk.tickets.operator import Operator, OperatorResult
from postdesk.tickets.unit_of_work import UnitOfWork

SELF_SERVED = "kb.self_served"
SOLVED_STATUS = "resolved"


def suggested_articles(ticket: Ticket) -> list[str]:
    """The articles the desk offered on this ticket (ids, in the order offered)."""
    return list(dict.fromkeys(str(suggestion.get("article"))
                              for data in event_data(ticket.id, SUGGESTED)
                              for suggestion in offered(data)))


def resolve_self_served(ticket: Ticket, *, actor: str, how: str, runtime: Runtime,
                        now: datetime, work: UnitOfWork | None, desk_address: str,
                        outbox_ids: list[int], phrase: str = "") -> bool:
    """Resolve `ticket` as self-served when it was offered articles and is open; `how`:
    "reply", "link", "page" (the ticket page's button) or "chat" (the chat thread's
    "This solved it"). True when it was resolved."""
    if runtime.statuses.kind(ticket.status) == "closed":
        return False
    articles = suggested_articles(ticket)
    if not articles:
        return False
    service.record_event(ticket, SELF_SERVED, {"how": how, "phrase": phrase,
                                               "articles": articles},
                         actor=actor, now=now, work=work)
    cancel_agents(ticket, how, actor=actor, now=now, work=work)  # nobody needs to look
    statuses = runtime.statuses
    status = (SOLVED_STATUS if SOLVED_STATUS in statuses.names
              else next(iter(statuses.names_of_kind("closed")), SOLVED_STATUS))
    change = apply_effect(ticket, Effect("set_status", {
        "status": status, "reason": "solved by the customer with a suggested article"},
        rule="", auditor=True), ChangedBy(actor, now, work=work))
    if change is not None:
        run_rules_for_changes(ticket, [change], author_email=actor, desk_address=desk_address,
                              outbox_ids=outbox_ids, runtime=runtime, now=now, work=work)
    return True


def solved_by_link(ticket: Ticket, operator: Operator, *, how: str = "link") -> OperatorResult:
    """What a confirmation's POST does (the ticket page's "This is solved", how "page";
    `postdesk kb solved TOKEN --confirm`, how "link"): resolve as self-served by the
    requester."""
    result = OperatorResult()
    requester = ticket.requester.email
    if not resolve_self_served(ticket, actor=requester, how=how, runtime=operator.runtime,
                               now=operator.now, work=operator.work,
                               desk_address=operator.desk_address,
                               outbox_ids=result.outbox_ids):
        result.problems.append("it was offered no articles, or it is closed already")
    return result
