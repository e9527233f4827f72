"""What the ticket page may read, on SQLite and PostgreSQL: the public thread and its
files only, and the link version `ticket revoke-links` bumps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postdesk.mail.parsed import Attachment as ParsedAttachment
from postdesk.store import ticket_page
from postdesk.store.db import database
from postdesk.tickets import service

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def message(ticket, visibility: str, text: str, filename: str, at: datetime):
    return service.add_message(
        ticket, direction="in" if visibility == "public" else "out", visibility=visibility,
        author_email="zoe@customer.example", author_name="Zoë", subject="Printer",
        text=text, body=text, html=None, message_id=None, inbound=None, now=at,
        attachments=[ParsedAttachment(filename, "application/pdf", text.encode(), None,
                                      False)])


def test_only_public_messages_and_their_files_reach_the_page(migrated: str) -> None:
    with database.connection_context(), database.atomic():
        zoe = service.create_customer("zoe@customer.example", "Zoë", language="pl",
                                      timezone=None, now=NOW)
        ticket = service.open_ticket(zoe, "Printer", now=NOW)
        other = service.open_ticket(zoe, "Other", now=NOW)
        public = message(ticket, "public", "my printer is on fire", "photo.pdf", NOW)
        note = message(ticket, "internal", "VIP, refund quietly", "refund.pdf",
                       NOW + timedelta(minutes=1))
        elsewhere = message(other, "public", "another matter", "other.pdf", NOW)

    with database.connection_context():
        thread = ticket_page.public_thread(ticket.id)
        assert [m.text for m in thread] == ["my printer is on fire"]
        assert [f.filename for f in thread[0].files] == ["photo.pdf"]
        photo = thread[0].files[0].id
        assert ticket_page.public_file(ticket.id, photo) == (
            "photo.pdf", "application/pdf", b"my printer is on fire")
        note_file = note.attachments[0].id
        other_file = elsewhere.attachments[0].id
        assert ticket_page.public_file(ticket.id, note_file) is None
        assert ticket_page.public_file(ticket.id, other_file) is None
        found = ticket_page.page_ticket(ticket.id)
        assert found is not None and found.customer_language == "pl"
        assert public.id and found.link_version == 0


def test_revoking_links_bumps_the_version_and_is_recorded(migrated: str) -> None:
    from postdesk.store.models import Event

    with database.connection_context(), database.atomic():
        zoe = service.create_customer("zoe@customer.example", "Zoë", language=None,
                                      timezone=None, now=NOW)
        ticket = service.open_ticket(zoe, "Printer", now=NOW)
        assert service.revoke_links(ticket, actor="operator:root", now=NOW) == 1
        assert service.revoke_links(ticket, actor="operator:root", now=NOW) == 2
    with database.connection_context():
        assert ticket_page.link_version(ticket.id) == 2
        assert ticket_page.link_version(ticket.id + 100) is None
        assert [(e.data, e.actor) for e in Event.select().where(
            Event.kind == "ticket.links_revoked").order_by(Event.id)] == [
            ({"version": 1}, "operator:root"), ({"version": 2}, "operator:root")]
