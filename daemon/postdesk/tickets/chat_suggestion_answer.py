"""The requester's answer to the articles suggested in their chat thread: a button press.

"This solved it" resolves the ticket as self-served, exactly as the answer "solved"
does (`self_service.resolve_self_served`: clocks met, a deflection in reports, and the
agents' waiting notification cancelled). "I still need help" sends the agents'
notification now (`chat_wait.release_agents`) and tells the requester, in their
language, that an agent will answer in the thread (once, however often it is pressed).
Only the requester's presses come here (`chat.mapping`); a closed ticket is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from postdesk.config.runtime import Runtime
from postdesk.store import chat_store, fastsql
from postdesk.store.models import Customer, Ticket
from postdesk.store.ticket_history import event_data
from postdesk.tickets import service
from postdesk.tickets.chat_wait import release_agents
from postdesk.tickets.self_service import resolve_self_served
from postdesk.tickets.unit_of_work import UnitOfWork

#: the requester said the suggestions did not answer it
STILL_NEEDS_HELP = "kb.still_needs_help"


@dataclass
class Answered:
    """What the press did: a reason for the inbound row, mails to send after the commit."""

    reason: str
    changed: bool = False
    outbox_ids: list[int] = field(default_factory=list)


def answer_suggestions(ticket_id: int, solved: bool, *, runtime: Runtime, now: datetime,
                       work: UnitOfWork) -> Answered:
    ticket = Ticket.get_by_id(ticket_id)
    requester: Customer = fastsql.related(ticket, Ticket.requester)
    if runtime.statuses.kind(ticket.status) == "closed":
        return Answered("the ticket is closed already")
    answered = Answered("")
    if solved:
        if resolve_self_served(ticket, actor=requester.email, how="chat", runtime=runtime,
                               now=now, work=work,
                               desk_address=runtime.settings.desk.addresses[0],
                               outbox_ids=answered.outbox_ids):
            answered.reason, answered.changed = "solved by the requester (self-served)", True
        else:
            answered.reason = "\"This solved it\" on a ticket offered no articles"
        return answered
    answered.outbox_ids += release_agents(ticket, "chat", actor=requester.email, now=now,
                                          work=work)
    if event_data(ticket.id, STILL_NEEDS_HELP):
        answered.reason = "the requester still needs help (said before)"
        return answered
    service.record_event(ticket, STILL_NEEDS_HELP, {}, actor=requester.email, now=now,
                         work=work)
    thread = chat_store.help_thread_of(ticket.id)
    if thread is not None:
        chat_store.queue_post(thread, kind="agent_coming",
                              context={"ticket": {"id": ticket.id}},
                              language=requester.language or None, attachments=[], now=now)
    answered.reason = "the requester still needs help: agents notified"
    return answered
