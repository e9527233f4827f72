"""Tickets, their threads and arriving mail as rows, for the read side people and scripts use.

The JSON shapes (`postdesk tickets --json`, `ticket show --json`, `queue NAME
--json`, `inbound --json`) are made by `postdesk.tickets.views` and
`postdesk.ticket_queues.query` from these rows: what a ticket's status is
called for customers and how its SLA clocks stand now is theirs to say.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee

from postdesk.store.models import Attachment, Customer, Event, Inbound, Message, Participant, Ticket
from postdesk.store.sla_store import TicketSla


def _with_requester(message_count: bool) -> Any:
    count = (Message.select(peewee.fn.COUNT(Message.id)).where(Message.ticket == Ticket.id))
    columns = (Ticket, Customer, count.alias("message_count")) if message_count \
        else (Ticket, Customer)
    return Ticket.select(*columns).join(Customer, on=(Ticket.requester == Customer.id))


def tickets_by_ids(ids: Sequence[int], *, message_count: bool = False) -> list[Ticket]:
    """The tickets with these numbers in that order, each with its `requester` read (and
    its `message_count`, when asked); numbers without a ticket left out."""
    found = {t.id: t for t in _with_requester(message_count).where(Ticket.id.in_(list(ids)))}
    return [found[i] for i in ids if i in found]


def newest_tickets(status: str | None = None, limit: int | None = None) -> list[Ticket]:
    """Tickets newest first (of `status`, at most `limit`), each with its `requester` and
    `message_count`."""
    query = _with_requester(True).order_by(Ticket.id.desc())
    if status:
        query = query.where(Ticket.status == status)
    if limit:
        query = query.limit(limit)
    return list(query)


@dataclass(frozen=True)
class StoredClocks:
    """A ticket's SLA row as `postdesk.sla.tracking.live` reads it."""

    ticket_id: int
    policy: str
    clocks: dict[str, Any]
    updated_at: datetime


def stored_clocks(ticket_ids: Iterable[int]) -> list[StoredClocks]:
    """The SLA rows of these tickets (one query; tickets without a row left out)."""
    wanted = list(ticket_ids)
    if not wanted:
        return []
    rows = TicketSla.select(TicketSla.ticket, TicketSla.policy, TicketSla.clocks,
                            TicketSla.updated_at).where(TicketSla.ticket.in_(wanted))
    return [StoredClocks(row.ticket_id, row.policy, row.clocks or {}, row.updated_at)
            for row in rows]


@dataclass(frozen=True)
class Thread:
    """One ticket with everything `postdesk ticket show` prints, in order."""

    ticket: Ticket  # its `requester` read
    participants: list[Customer]  # by address
    messages: list[Message]
    attachments: dict[int, list[Attachment]]  # by message id
    events: list[Event]


def ticket_thread(ticket_id: int) -> Thread | None:
    """The ticket and its thread, or None when there is no such ticket."""
    ticket = (Ticket.select(Ticket, Customer).join(Customer)
              .where(Ticket.id == ticket_id).first())
    if ticket is None:
        return None
    participants = (Customer.select().join(Participant)
                    .where(Participant.ticket == ticket.id).order_by(Customer.email))
    messages = Message.select().where(Message.ticket == ticket.id).order_by(Message.id)
    attachments: dict[int, list[Attachment]] = {}
    for item in (Attachment.select().join(Message)
                 .where(Message.ticket == ticket.id).order_by(Attachment.id)):
        attachments.setdefault(item.message_id, []).append(item)
    events = Event.select().where(Event.ticket == ticket.id).order_by(Event.id)
    return Thread(ticket, list(participants), list(messages), attachments, list(events))


def newest_inbound(states: tuple[str, ...] = (), limit: int = 100) -> list[Inbound]:
    """Arriving mail, newest first (in one of `states`, when given), without the raw bytes."""
    query = (Inbound.select(Inbound.id, Inbound.received_at, Inbound.source, Inbound.mail_from,
                            Inbound.rcpt_to, Inbound.size, Inbound.state, Inbound.reason,
                            Inbound.attempts, Inbound.ticket)
             .order_by(Inbound.id.desc()).limit(limit))
    if states:
        query = query.where(Inbound.state.in_(states))
    return list(query)
