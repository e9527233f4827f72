"""The conversation in context: a ticket's earlier messages for the mail about a new one.

Agents who were not on a ticket see the original request and the earlier
answers below the new message; customers a short history of what they have
seen (`[tickets] thread_for_agents`, `thread_for_customers`). Newest first,
each message trimmed to `thread_message_chars`, its files listed by name.
Mail to a customer never carries an internal note; agents see notes marked
as internal.
"""

from __future__ import annotations

from typing import Any

from postdesk.config.settings import TicketSettings
from postdesk.store import ticket_lookups
from postdesk.store.ticket_lookups import ThreadMessage


def trimmed(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut at a word boundary near `limit` characters, and whether it was cut."""
    text = text.strip()
    if len(text) <= limit:
        return text, False
    cut = text[:limit].rsplit(None, 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip() + " …", True


def entry(message: ThreadMessage, limit: int) -> dict[str, Any]:
    """One earlier message as the templates show it (JSON-safe)."""
    text, cut = trimmed(message.text, limit)
    return {"author": message.author_name or message.author_email,
            "from_desk": message.direction == "out",
            "internal": message.visibility == "internal",
            "created_at": message.created_at.isoformat(),
            "text": text, "trimmed": cut, "files": list(message.files)}


def earlier_messages(ticket_id: int, settings: TicketSettings, *, to_customer: bool,
                     skip_newest: bool, own: int | None = None) -> list[dict[str, Any]]:
    """The thread below a mail (`skip_newest`: the newest message is the mail's own; `own`:
    the mail's own message when known, and only those stored before it are shown: a new
    ticket's note written after it, e.g. "Possible duplicate of #N", does not push the
    customer's message into the thread under itself)."""
    count = settings.thread_for_customers if to_customer else settings.thread_for_agents
    if count <= 0:
        return []
    if own is not None:
        rows = ticket_lookups.recent_messages(ticket_id, count, public_only=to_customer,
                                              before=own)
        return [entry(message, settings.thread_message_chars) for message in rows]
    rows = ticket_lookups.recent_messages(ticket_id, count + int(skip_newest),
                                          public_only=to_customer)
    return [entry(message, settings.thread_message_chars)
            for message in rows[int(skip_newest):]]
