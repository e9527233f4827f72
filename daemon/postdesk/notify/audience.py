"""What a mail to a customer may carry: its template context without the desk's internals.

A template renders whatever its context holds, and an admin may override any
template. So the context of a mail to a customer leaves out what only agents
may see (the internal status name, the agents' note address) instead of
trusting every template to leave it unused: an override that reaches for it
fails `postdesk check` (StrictUndefined) and never shows it to a customer.
"""

from __future__ import annotations

from typing import Any

#: Keys of the context's `ticket` that only agents may see.
INTERNAL_TICKET_KEYS = frozenset({"status"})
#: Top-level keys only agents may see.
INTERNAL_KEYS = frozenset({"note_address"})

#: The shipped mails whose recipient is a customer (or a participant).
CUSTOMER_TEMPLATES = frozenset({
    "acknowledgment", "agent_reply", "status_changed", "duplicate_resolved",
    "resolved_without_reply", "page_links",
    "satisfaction_survey",
})


def for_customer(context: dict[str, Any]) -> dict[str, Any]:
    """`context` as a customer may receive it (a new dict; the argument is left alone)."""
    safe = {key: value for key, value in context.items() if key not in INTERNAL_KEYS}
    ticket = context.get("ticket")
    if isinstance(ticket, dict):
        safe["ticket"] = {k: v for k, v in ticket.items() if k not in INTERNAL_TICKET_KEYS}
    return safe
