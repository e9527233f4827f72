"""The earlier messages below a mail, read in one round trip on a real database (SQLite and
PostgreSQL): newest first, the customer's side without notes, each with its files' names
but not its inline images."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postdesk.store.db import database
from postdesk.store.models import Attachment, Blob, Message
from postdesk.store.ticket_lookups import recent_messages
from postdesk.tickets import service

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _message(ticket_id: int, minutes: int, text: str, *, visibility: str = "public",
             direction: str = "in", files: tuple[tuple[str, bool], ...] = ()) -> None:
    message = Message.create(ticket=ticket_id, direction=direction, visibility=visibility,
                             author_email="zoe@customer.example", author_name="Zoë",
                             text=text, created_at=NOW + timedelta(minutes=minutes))
    for name, inline in files:
        blob, _ = Blob.get_or_create(sha256=name.ljust(64, "0")[:64],
                                     defaults={"data": b"x", "size": 1})
        Attachment.create(message=message, filename=name, content_type="image/png", size=1,
                          blob=blob, inline=inline)


def test_the_thread_is_newest_first_with_files_and_no_note_for_customers(migrated: str) -> None:
    with database.connection_context(), database.atomic():
        zoe = service.create_customer("zoe@customer.example", "Zoë", language=None,
                                      timezone=None, now=NOW)
        ticket = service.open_ticket(zoe, "Printer", now=NOW)
        other = service.open_ticket(zoe, "Another", now=NOW)
        _message(ticket.id, 0, "first", files=(("a.pdf", False), ("logo.png", True),
                                               ("b.log", False)))
        _message(ticket.id, 1, "our answer", direction="out")
        _message(ticket.id, 2, "agents only", visibility="internal")
        _message(ticket.id, 3, "newest", files=(("c.txt", False),))
        _message(other.id, 4, "elsewhere")

        agents = recent_messages(ticket.id, 10, public_only=False)
        customers = recent_messages(ticket.id, 10, public_only=True)
        two = recent_messages(ticket.id, 2, public_only=True)

    assert [(m.text, m.files) for m in agents] == [
        ("newest", ("c.txt",)), ("agents only", ()), ("our answer", ()),
        ("first", ("a.pdf", "b.log"))]
    assert [m.text for m in customers] == ["newest", "our answer", "first"]
    assert [m.text for m in two] == ["newest", "our answer"]
    first = agents[-1]
    assert (first.author_name, first.author_email, first.direction, first.visibility,
            first.created_at) == ("Zoë", "zoe@customer.example", "in", "public", NOW)
