"""A ticket's audit trail as the SLA clocks read it: its events, with their messages.

`events_with_messages` reads the events of many tickets with two pre-built
statements (it runs for every changed ticket): the events in the order they
happened, and for a `message.*` event the direction, visibility and author of
the message it is about. `postdesk rules explain` reads the events as rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from postdesk.store import fastsql
from postdesk.store.db import database
from postdesk.store.models import Event, Message

T = TypeVar("T")


def events_with_messages(ticket_ids: Sequence[int], make: Callable[..., T]
                         ) -> dict[int, list[T]]:
    """Each ticket's events by time (then id); every id is a key. An event is what
    `make(at, kind, data, actor)` returns, called for a `message.*` event with three
    more values: the direction, visibility and author address of its message (when
    it still exists). The caller's own type, made once: this runs for every changed
    ticket."""
    ids = list(ticket_ids)
    found: dict[int, list[T]] = {ticket_id: [] for ticket_id in ids}
    if not ids:
        return found
    among = f"IN ({fastsql.placeholders(len(ids))})"
    messages = {row[0]: row[1:] for row in database.execute_sql(
        'SELECT "id", "direction", "visibility", "author_email" FROM "message" '
        f'WHERE "ticket_id" {among}', ids)}
    rows = database.execute_sql(
        'SELECT "ticket_id", "kind", "data", "actor", "created_at" FROM "event" '
        f'WHERE "ticket_id" {among} ORDER BY "ticket_id", "created_at", "id"', ids)
    for ticket_id, kind, raw_data, actor, created_at in rows:
        data = Event.data.python_value(raw_data) or {}
        at = Event.created_at.python_value(created_at)
        message = messages.get(int(data.get("message") or 0)) \
            if kind.startswith("message.") else None
        if message is not None:
            found[ticket_id].append(make(at, kind, data, actor, *message))
        else:
            found[ticket_id].append(make(at, kind, data, actor))
    return found


def ticket_events(ticket_id: int) -> list[Event]:
    """The ticket's events in the order they were recorded."""
    return list(Event.select().where(Event.ticket == ticket_id).order_by(Event.id))


def message_by_id(message_id: int | None) -> Message | None:
    """The message an event names (None: none named, or no such message any more)."""
    return Message.get_or_none(Message.id == message_id) if message_id is not None else None


def event_data(ticket_id: int, kind: str) -> list[dict[str, Any]]:
    """The data of the ticket's events of one kind, in the order they were recorded."""
    rows = (Event.select(Event.data).where((Event.ticket == ticket_id) & (Event.kind == kind))
            .order_by(Event.id))
    return [dict(row.data or {}) for row in rows]
