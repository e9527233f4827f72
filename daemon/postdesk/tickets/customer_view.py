"""`postdesk customer show ADDR`: a customer and their ticket history, as plain data.

The JSON shape: `{email, name, language, timezone, bouncing, created_at, tickets:
[{...as in tickets --json, role: "requester"|"participant"}]}`, the tickets newest
first. The history is read along indexes (`postdesk.store.customer_history`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from postdesk.store.customer_history import (
    copied_ticket_ids,
    customer_by_email,
    requested_ticket_ids,
)
from postdesk.store.db import utcnow
from postdesk.store.ticket_listing import tickets_by_ids
from postdesk.tickets.statuses import DEFAULT_BOOK, StatusBook
from postdesk.tickets.views import SlaSource, live_sla, person, summary


def customer_detail(email: str, statuses: StatusBook = DEFAULT_BOOK, *, limit: int = 100,
                    sla: SlaSource = None, now: datetime | None = None
                    ) -> dict[str, Any] | None:
    """The customer with this address and their newest `limit` tickets; None: unknown."""
    customer = customer_by_email(email)
    if customer is None:
        return None
    requested = requested_ticket_ids(customer.id, limit)
    copied = [i for i in copied_ticket_ids(customer.id, limit) if i not in set(requested)]
    ids = sorted({*requested, *copied}, reverse=True)[:limit]
    tickets = tickets_by_ids(ids, message_count=True)
    clocks = live_sla(ids, sla, now or utcnow())
    mine = set(requested)
    return {
        **person(customer),
        "timezone": customer.timezone,
        "created_at": customer.created_at.isoformat() if customer.created_at else None,
        "tickets": [{**summary(t, clocks.get(t.id, {}), statuses),
                     "role": "requester" if t.id in mine else "participant"} for t in tickets],
    }
