"""Reads the chat side of the domain needs: where the newest public answer came from, the
message a `create_on: reaction` channel kept for a 🎫, and an agent's presses of "Reply to
customer" with whether a later message used them up."""

from __future__ import annotations

import json
from datetime import datetime

from postdesk.store import fastsql
from postdesk.store.models import Event, Inbound, Message, Ticket

#: how many kept messages a 🎫 reaction is looked up among (the newest first)
HELD_LOOKBACK = 1000
#: the reason of an inbound chat message kept for a 🎫 reaction (it starts the row's reason)
HELD_PREFIX = "held:"


def newest_public_answer_thread(ticket_id: int) -> tuple[str, str, str] | None:
    """(platform, channel, thread root) of the chat thread the ticket's newest public
    message from our side was written in; None when it was not written in chat."""
    row = (Message.select(Message.inbound)
           .where((Message.ticket == ticket_id) & (Message.direction == "out")
                  & (Message.visibility == "public"))
           .order_by(Message.id.desc()).first())
    if row is None or row.inbound_id is None:
        return None
    inbound = (Inbound.select(Inbound.channel, Inbound.raw)
               .where(Inbound.id == row.inbound_id).first())
    if inbound is None or inbound.channel is None:
        return None
    data = json.loads(inbound.raw)
    return (str(inbound.channel), str(data.get("channel")),
            str(data.get("thread_id") or data.get("message_id")))


def held_chat_message(platform: str, channel: str, message_id: str) -> Inbound | None:
    """The inbound row of a chat message kept for a 🎫 reaction, if it is among the newest."""
    rows = (Inbound.select(Inbound.id, Inbound.raw)
            .where((Inbound.channel == platform) & (Inbound.state == "ignored")
                   & Inbound.reason.startswith(HELD_PREFIX))
            .order_by(Inbound.id.desc()).limit(HELD_LOOKBACK))
    for row in rows:
        data = json.loads(row.raw)
        if data.get("channel") == channel and data.get("message_id") == message_id:
            return row
    return None


def channels_of_inbound(inbound_ids: list[int]) -> dict[int, str]:
    """The chat channel of each of these inbound rows (mail rows are left out)."""
    if not inbound_ids:
        return {}
    return {row.id: str(row.channel) for row in Inbound.select(Inbound.id, Inbound.channel)
            .where(Inbound.id.in_(inbound_ids) & Inbound.channel.is_null(False))}


def events_of(ticket_id: int, kind: str, actor: str) -> list[dict[str, object]]:
    """The data of the ticket's events of `kind` by `actor`, oldest first."""
    return [dict(row.data) for row in Event.select(Event.data)
            .where((Event.ticket == ticket_id) & (Event.kind == kind) & (Event.actor == actor))
            .order_by(Event.id)]


def wrote_between(ticket_id: int, author_email: str, after_inbound: int,
                  before_inbound: int) -> bool:
    """Whether the author has a message on the ticket that arrived between two inbound rows
    (exclusive): what uses up a press of "Reply to customer". The ticket row is locked
    first (PostgreSQL), so two messages processed at once cannot both find the press
    unused: the second waits, then sees the first."""
    fastsql.get_by(Ticket, Ticket.id, ticket_id, lock=True)
    return Message.select(Message.id).where(
        (Message.ticket == ticket_id) & (Message.author_email == author_email)
        & (Message.inbound > after_inbound) & (Message.inbound < before_inbound)).exists()


def last_chat_message_at(ticket_id: int, author_email: str, platform: str) -> datetime | None:
    """When the author last wrote on the ticket in that chat platform; None: never."""
    row = (Message.select(Message.created_at).join(Inbound, on=(Message.inbound == Inbound.id))
           .where((Message.ticket == ticket_id) & (Message.author_email == author_email)
                  & (Inbound.channel == platform))
           .order_by(Message.id.desc()).first())
    return row.created_at if row is not None else None
