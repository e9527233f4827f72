"""Hand-made ticket facts for the rules tests: one default ticket, changed per test file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from postdesk.automation import TicketFacts

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def ticket_facts(**changes: Any) -> TicketFacts:
    """A new, normal-priority ticket of carl@customer.example opened a day before NOW."""
    fields: dict[str, Any] = {
        "id": 1, "status": "new", "priority": "normal", "request_type": None, "team": None,
        "assignee": None, "tags": frozenset(), "requester_email": "carl@customer.example",
        "requester_language": None, "created_at": NOW - timedelta(days=1),
        "status_changed_at": NOW - timedelta(days=1), "last_customer_message_at": None,
    }
    fields.update(changes)
    return TicketFacts(**fields)
