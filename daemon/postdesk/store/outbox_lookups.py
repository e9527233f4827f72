"""What a bounce to a return path of ours needs to know of the mail it names."""

from __future__ import annotations

from postdesk.store.models import Outbox


def outbox_recipients(outbox_id: int) -> tuple[tuple[str, ...], int | None] | None:
    """The recipients (To, then Cc) of outbox row `outbox_id` and its ticket; None if there
    is no such row."""
    row = (Outbox.select(Outbox.recipient, Outbox.headers, Outbox.ticket)
           .where(Outbox.id == outbox_id).first())
    if row is None:
        return None
    return (row.recipient, *row.headers.get("cc", ())), row.ticket_id
