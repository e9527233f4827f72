"""The read side for people and scripts: tickets and inbound mail as plain data.

The shapes here are the JSON that `postdesk tickets --json` and
`postdesk ticket show --json` print; scripts depend on them, so fields are
only ever added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee

from postdesk.models import (
    Attachment,
    Customer,
    Event,
    Inbound,
    Message,
    Participant,
    Ticket,
)
from postdesk.tickets.statuses import DEFAULT_BOOK, StatusBook


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(customer: Customer) -> dict[str, Any]:
    return {"email": customer.email, "name": customer.name, "language": customer.language,
            "bouncing": customer.bouncing}


def ticket_summaries(status: str | None = None, limit: int | None = None,
                     statuses: StatusBook = DEFAULT_BOOK) -> list[dict[str, Any]]:
    count = (Message.select(peewee.fn.COUNT(Message.id))
             .where(Message.ticket == Ticket.id))
    query = (Ticket.select(Ticket, Customer, count.alias("message_count"))
             .join(Customer, on=(Ticket.requester == Customer.id))
             .order_by(Ticket.id.desc()))
    if status:
        query = query.where(Ticket.status == status)
    if limit:
        query = query.limit(limit)
    return [
        {
            "id": ticket.id,
            "subject": ticket.subject,
            "status": ticket.status,
            "public_status": statuses.public_name(ticket.status),
            "requester": _person(ticket.requester),
            "assignee": ticket.assignee,
            "created_at": _iso(ticket.created_at),
            "updated_at": _iso(ticket.updated_at),
            "message_count": getattr(ticket, "message_count", 0) or 0,
        }
        for ticket in query
    ]


def ticket_detail(ticket_id: int, statuses: StatusBook = DEFAULT_BOOK) -> dict[str, Any] | None:
    ticket = (Ticket.select(Ticket, Customer).join(Customer)
              .where(Ticket.id == ticket_id).first())
    if ticket is None:
        return None
    participants = (Customer.select().join(Participant)
                    .where(Participant.ticket == ticket.id).order_by(Customer.email))
    messages = Message.select().where(Message.ticket == ticket.id).order_by(Message.id)
    attachments: dict[int, list[dict[str, Any]]] = {}
    for item in (Attachment.select().join(Message)
                 .where(Message.ticket == ticket.id).order_by(Attachment.id)):
        attachments.setdefault(item.message_id, []).append(
            {"filename": item.filename, "content_type": item.content_type, "size": item.size,
             "inline": item.inline, "note": item.note})
    events = Event.select().where(Event.ticket == ticket.id).order_by(Event.id)
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status,
        "public_status": statuses.public_name(ticket.status),
        "priority": ticket.priority,
        "tags": list(ticket.tags or ()),
        "sla_paused": ticket.sla_paused,
        "requester": _person(ticket.requester),
        "participants": [_person(p) for p in participants],
        "assignee": ticket.assignee,
        "team": ticket.team,
        "request_type": ticket.request_type,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "messages": [
            {
                "id": message.id,
                "direction": message.direction,
                "author_email": message.author_email,
                "author_name": message.author_name,
                "visibility": message.visibility,
                "subject": message.subject,
                "text": message.text,
                "created_at": _iso(message.created_at),
                "attachments": attachments.get(message.id, []),
            }
            for message in messages
        ],
        "events": [
            {"kind": event.kind, "data": event.data, "actor": event.actor, "rule": event.rule,
             "created_at": _iso(event.created_at)}
            for event in events
        ],
    }


def inbound_rows(states: tuple[str, ...] = (), limit: int = 100) -> list[dict[str, Any]]:
    query = (Inbound.select(Inbound.id, Inbound.received_at, Inbound.source, Inbound.mail_from,
                            Inbound.rcpt_to, Inbound.size, Inbound.state, Inbound.reason,
                            Inbound.attempts, Inbound.ticket)
             .order_by(Inbound.id.desc()).limit(limit))
    if states:
        query = query.where(Inbound.state.in_(states))
    return [
        {"id": row.id, "received_at": _iso(row.received_at), "source": row.source,
         "mail_from": row.mail_from, "rcpt_to": row.rcpt_to, "size": row.size,
         "state": row.state, "reason": row.reason, "attempts": row.attempts,
         "ticket": row.ticket_id}
        for row in query
    ]
