"""Events gathered in a unit of work are stored as an event recorded at once is: the same
data, actor, rule and time read back (the unit of work converts the common values itself)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from postdesk.store.db import database
from postdesk.store.models import Event
from postdesk.tickets import service
from postdesk.tickets.unit_of_work import UnitOfWork

NOW = datetime(2026, 12, 7, 23, 50, 12, 345678, tzinfo=UTC)
WARSAW = timezone(timedelta(hours=1))
EVENTS: list[tuple[str, dict[str, Any], str, str | None, datetime]] = [
    ("kb.suggested", {"article": "vpn-access", "language": "pl", "score": 0.734, "rank": 1},
     "system", None, NOW),
    ("status.changed", {"old": "new", "new": "open", "note": "Zażółć gęślą jaźń"},
     "agent.pl@example.com", "reopen-on-reply", NOW),
    ("ticket.linked", {"kind": "possible_duplicate_of", "other": 7, "nested": {"b": [1, 2.5]}},
     "system", None, NOW.astimezone(WARSAW) + timedelta(seconds=1)),
    ("note.added", {}, "system", "", NOW + timedelta(microseconds=1)),
]


def stored(ticket_id: int) -> list[tuple[Any, ...]]:
    return [(e.kind, e.data, e.actor, e.rule, e.created_at)
            for e in Event.select().where(Event.ticket == ticket_id).order_by(Event.id)]


def test_events_of_a_unit_of_work_read_back_as_events_recorded_at_once(migrated: str) -> None:
    with database.atomic():
        customer = service.create_customer("zoe@customer.example", "Zoë", language="pl",
                                           timezone=None, now=NOW)
        at_once = service.open_ticket(customer, "VPN", now=NOW)
        gathered = service.open_ticket(customer, "VPN", now=NOW)
        before = len(stored(gathered.id))
        for kind, data, actor, rule, now in EVENTS:
            service.record_event(at_once, kind, data, actor=actor, rule=rule, now=now)
        with UnitOfWork() as work:
            for kind, data, actor, rule, now in EVENTS:
                service.record_event(gathered.id, kind, data, actor=actor, rule=rule, now=now,
                                     work=work)

    assert stored(gathered.id)[before:] == stored(at_once.id)[before:]
    assert [(kind, data, actor, rule, now.astimezone(UTC))
            for kind, data, actor, rule, now in EVENTS] == stored(gathered.id)[before:]
