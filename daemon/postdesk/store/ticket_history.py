"""A ticket's audit trail as the SLA clocks read it: its events, with their messages.

`events_with_messages` reads the events of many tickets with two pre-built
statements (it runs for every changed ticket): the events in the order they
happened, and for a `message.*` event the direction, visibility and author of
the message it is about. `postdesk rules explain` reads the events as rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from postdesk.store import fastsql
from postdesk.store.db import database
from postdesk.store.models import Event, Message


class MessageFacts(NamedTuple):
    direction: str
    visibility: str
    author_email: str


class StoredEvent(NamedTuple):
    """One event of a ticket: when, what, its data, who; `message`: the message a
    `message.*` event is about (None for other events, or a message since deleted)."""

    at: datetime
    kind: str
    data: dict[str, Any]
    actor: str
    message: MessageFacts | None


def events_with_messages(ticket_ids: Sequence[int]) -> dict[int, list[StoredEvent]]:
    """Each ticket's events by time (then id), with their messages; every id is a key."""
    ids = list(ticket_ids)
    found: dict[int, list[StoredEvent]] = {ticket_id: [] for ticket_id in ids}
    if not ids:
        return found
    among = f"IN ({fastsql.placeholders(len(ids))})"
    messages = {row[0]: MessageFacts(*row[1:]) for row in database.execute_sql(
        'SELECT "id", "direction", "visibility", "author_email" FROM "message" '
        f'WHERE "ticket_id" {among}', ids)}
    rows = database.execute_sql(
        'SELECT "ticket_id", "kind", "data", "actor", "created_at" FROM "event" '
        f'WHERE "ticket_id" {among} ORDER BY "ticket_id", "created_at", "id"', ids)
    for ticket_id, kind, raw_data, actor, created_at in rows:
        data = Event.data.python_value(raw_data) or {}
        message = messages.get(int(data.get("message") or 0)) \
            if kind.startswith("message.") else None
        found[ticket_id].append(StoredEvent(Event.created_at.python_value(created_at), kind,
                                            data, actor, message))
    return found


def ticket_events(ticket_id: int) -> list[Event]:
    """The ticket's events in the order they were recorded."""
    return list(Event.select().where(Event.ticket == ticket_id).order_by(Event.id))


def message_by_id(message_id: int | None) -> Message | None:
    """The message an event names (None: none named, or no such message any more)."""
    return Message.get_or_none(Message.id == message_id) if message_id is not None else None
