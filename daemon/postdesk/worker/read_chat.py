"""Stored chat events read for the receive chain: the chat counterpart of `read_mail`.

A chat event becomes what the chain knows how to take: an `Arrived` whose sender is
the chat account's verified email (or an address made from its platform id, which
is nobody's mail box and no agent's), whose text is the message (or, for an agent's
reaction or button, the commands it stands for, `postdesk.chat.mapping`), and whose
reply token is the ticket of the thread it was written in. From there the same steps
as for mail decide: a new ticket, a customer's follow-up, an agent's answer with its
#commands (agent power only from `Arrived.chat`: the platform's verified identity).
What is no message for the chain (a rating, the requester's "This solved it" / "I still
need help", a message kept for a 🎫, an event the desk does not serve) is a
`ChatDirect`: done in the write transaction without the chain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from postdesk import logs
from postdesk.chat.mapping import (
    ChatDecision,
    ChatOrigin,
    Commands,
    Hold,
    Ignore,
    NewTicket,
    Rating,
    ReplyToCustomer,
    SuggestionAnswer,
    ThreadFacts,
    ThreadMessage,
    customer_address,
    decide,
    origin_of,
)
from postdesk.chat.model import ChatEvent
from postdesk.config.runtime import Runtime
from postdesk.mail.address import CUSTOMER_ROLE, ReplyToken
from postdesk.mail.attachments import sanitize_filename
from postdesk.mail.classify import Classification
from postdesk.mail.parse import Attachment, ParsedMail
from postdesk.mail.parsed import Address
from postdesk.notify.i18n import normalize_language
from postdesk.store import chat_lookups, chat_store
from postdesk.store.models import Inbound
from postdesk.tickets.chat_rating import record_rating
from postdesk.tickets.chat_reply_to_customer import arm_reply
from postdesk.tickets.chat_suggestion_answer import answer_suggestions
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.unit_of_work import UnitOfWork

#: the longest subject a ticket gets from the first line of a chat message
SUBJECT_CHARS = 120


@dataclass(frozen=True)
class ChatDirect:
    """A chat event that is no message for the receive chain: what becomes of it."""

    inbound_id: int
    decision: ChatDecision
    #: the agent who pressed a button (their email in teams.yaml, and the name they show)
    agent_email: str = ""
    agent_name: str = ""

    def act(self, runtime: Runtime, now: datetime, work: UnitOfWork) -> Outcome:
        decision = self.decision
        if isinstance(decision, ReplyToCustomer):
            reason = arm_reply(decision, agent_email=self.agent_email,
                               agent_name=self.agent_name, inbound_id=self.inbound_id,
                               runtime=runtime, now=now, work=work)
            return Outcome("done", ticket_id=decision.ticket_id, reason=reason)
        if isinstance(decision, Rating):
            rated = record_rating(decision.ticket_id, decision.rating,
                                  channel=_platform_of(self.inbound_id), runtime=runtime,
                                  desk_address=runtime.settings.desk.addresses[0],
                                  now=now, work=work)
            return Outcome("done", ticket_id=decision.ticket_id,
                           outbox_ids=tuple(rated.outbox_ids),
                           reason=f"satisfaction {decision.rating}/{decision.scale} "
                                  f"({rated.outcome})")
        if isinstance(decision, SuggestionAnswer):
            answered = answer_suggestions(decision.ticket_id, decision.solved,
                                          runtime=runtime, now=now, work=work)
            return Outcome("done", ticket_id=decision.ticket_id,
                           outbox_ids=tuple(answered.outbox_ids), reason=answered.reason,
                           changed_ticket=answered.changed)
        if isinstance(decision, Hold):
            return Outcome("ignored", reason=f"{chat_lookups.HELD_PREFIX} {decision.reason}")
        assert isinstance(decision, Ignore)
        return Outcome("ignored", reason=decision.reason)


def read_chat_events(rows: Sequence[Inbound], runtime: Runtime
                     ) -> dict[int, Arrived | ChatDirect | Exception]:
    """Each chat row as the chain (or the direct path) gets it, or the error that stopped
    its reading (the queue tries it again)."""
    results: dict[int, Arrived | ChatDirect | Exception] = {}
    for row in rows:
        with logs.log_context(inbound=row.id, ticket=None):
            try:
                results[row.id] = read_chat_event(row, runtime)
            except Exception as exc:
                results[row.id] = exc
    return results


def read_chat_event(row: Inbound, runtime: Runtime) -> Arrived | ChatDirect:
    event = ChatEvent.from_json(row.raw)
    address = customer_address(event.user)
    agent = runtime.teams.agent(address) if event.user.email is not None else None
    is_agent = agent is not None
    book = runtime.channels
    decision = decide(event, book, thread_facts(event), is_agent=is_agent)
    if isinstance(decision, NewTicket) and decision.from_inbound is not None:
        held = Inbound.get_by_id(decision.from_inbound)
        first = ChatEvent.from_json(held.raw)  # the kept message, by its author
        channel = book.channel(first.platform, first.channel)
        assert channel is not None
        return as_arrived(row, first, origin_of(first, channel), None, runtime)
    if isinstance(decision, NewTicket):
        return as_arrived(row, event, decision.origin, None, runtime)
    if isinstance(decision, ThreadMessage):
        return as_arrived(row, event, decision.origin, decision.ticket_id, runtime)
    if isinstance(decision, Commands):
        return as_arrived(row, event, decision.origin, decision.ticket_id, runtime,
                          text=decision.text)
    if isinstance(decision, ReplyToCustomer):
        assert agent is not None  # `decide` gives it to agents only
        return ChatDirect(row.id, decision, agent_email=agent.email,
                          agent_name=event.user.display_name or agent.name)
    return ChatDirect(row.id, decision)


def thread_facts(event: ChatEvent) -> ThreadFacts:
    """What the store knows of the thread (or our post) the event is about."""
    thread = chat_store.thread_at(event.platform, event.workspace, event.channel,
                                  event.thread_root)
    if thread is None and event.kind != "message":
        thread = chat_store.thread_of_post(event.platform, event.message_id)
    if thread is not None:
        return ThreadFacts(ticket_id=thread.ticket_id, requester_user_id=thread.user_id)
    if event.kind == "reaction":
        held = chat_lookups.held_chat_message(event.platform, event.channel,
                                              event.message_id)
        return ThreadFacts(held_message=held.id if held is not None else None)
    return ThreadFacts()


def as_arrived(row: Inbound, event: ChatEvent, origin: ChatOrigin, ticket_id: int | None,
               runtime: Runtime, *, text: str | None = None) -> Arrived:
    """The event as a message the receive chain takes (see the module docstring)."""
    address = customer_address(event.user)
    body = event.text if text is None else text
    language = normalize_language(event.user.locale)
    first_line = next((line.strip() for line in body.splitlines() if line.strip()), "")
    parsed = ParsedMail(
        message_id=f"<{_id_part(event.dedup_key)}@{event.platform}.chat.invalid>",
        in_reply_to=(), references=(),
        subject=first_line[:SUBJECT_CHARS] if ticket_id is None else "",
        sender=Address(address, event.user.display_name), reply_to=(), to=(), cc=(),
        date=event.sent_at, text=body, html=None,
        attachments=tuple(Attachment(sanitize_filename(f.name), f.content_type, f.content,
                                     None, False) for f in event.files),
        languages=(language.split("_")[0],) if language else (), defects=())
    desk_address = runtime.settings.desk.addresses[0]
    return Arrived(
        inbound_id=row.id, rcpt_to=(desk_address,), sha256=row.sha256, parsed=parsed,
        verdict=Classification("normal", "", may_auto_reply=True), desk_address=desk_address,
        token=ReplyToken(ticket_id, CUSTOMER_ROLE) if ticket_id is not None else None,
        chat=origin)


def _id_part(key: str) -> str:
    """A Message-ID's left part for a chat event: its dedup key, hashed when it holds
    what a Message-ID may not."""
    if all(c.isalnum() or c in ".-_:" for c in key) and len(key) < 200:
        return key.replace(":", ".")
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def _platform_of(inbound_id: int) -> str:
    return str(chat_lookups.channels_of_inbound([inbound_id]).get(inbound_id, ""))
