"""One unit of work's domain writes, gathered where they can be: its events.

A mail can record a dozen events (ticket created, routed, message received,
each rule's change). The caller that owns the transaction makes a
`UnitOfWork`, passes it to every `tickets.service` call, and the events
recorded into it are inserted with one statement when the `with` block ends
without an error, still inside that transaction: if anything fails, nothing
is inserted. Their ids come in the order they were recorded, as if each had
been inserted at once; nothing inside the block may read them back. A service
call given no unit of work inserts its event at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

from postdesk.store import fastsql
from postdesk.store.models import Event

_EVENT_FIELDS: tuple[Any, ...] = (Event.ticket, Event.kind, Event.data, Event.actor, Event.rule,
                                  Event.created_at)
_DATA: Any = Event.data
_TIME: Any = Event.created_at


class UnitOfWork:
    """The events of one unit of work, inserted together when its block ends."""

    def __init__(self) -> None:
        self._events: list[list[Any]] = []
        self._last_time: datetime | None = None
        self._last_time_value: Any = None

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        rows, self._events = self._events, []
        if kind is None:
            fastsql.insert_rows(Event, _EVENT_FIELDS, rows)

    def has_event(self, ticket_id: int, kind: str) -> bool:
        """Whether an event of `kind` on the ticket waits in this unit of work."""
        return any(row[0] == ticket_id and row[1] == kind for row in self._events)

    def add_event(self, ticket_id: int, kind: str, data: Mapping[str, Any], *, actor: str,
                  rule: str | None, now: datetime) -> None:
        if (type(ticket_id) is int and type(kind) is str and type(actor) is str
                and (rule is None or type(rule) is str)):
            # the fields' own conversions would give these values back unchanged: only the
            # data and the time are converted (a mail records some ten events, and the
            # fields' calls were half the cost of each)
            self._events.append([ticket_id, kind, _DATA.db_value(dict(data)), actor, rule,
                                 self._time_value(now)])
            return
        values = (ticket_id, kind, dict(data), actor, rule, now)
        self._events.append([f.db_value(v) for f, v in zip(_EVENT_FIELDS, values, strict=True)])

    def _time_value(self, now: datetime) -> Any:
        """`Event.created_at`'s value for `now`, converted once: every event of a unit of
        work is usually recorded at the same moment."""
        if now is not self._last_time:
            self._last_time, self._last_time_value = now, _TIME.db_value(now)
        return self._last_time_value


def insert_event(ticket_id: int, kind: str, data: Mapping[str, Any], *, actor: str,
                 rule: str | None, now: datetime) -> None:
    """One event, inserted now (no unit of work to gather it)."""
    fastsql.create(Event, ticket=ticket_id, kind=kind, data=dict(data), actor=actor, rule=rule,
                   created_at=now)
