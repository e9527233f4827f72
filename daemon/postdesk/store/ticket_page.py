"""What a customer's ticket page reads (postdesk.channels.web), and the link version.

Only public messages and the files of public messages: internal notes and
their files never leave here. Only reads: `postdesk ticket revoke-links` bumps
the link version through `postdesk.tickets.service`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from postdesk.store.models import Attachment, Blob, Customer, Message, Ticket


@dataclass(frozen=True)
class PageTicket:
    id: int
    subject: str
    status: str
    link_version: int
    customer_id: int
    customer_email: str
    customer_name: str
    customer_language: str | None
    customer_timezone: str | None


@dataclass(frozen=True)
class PageFile:
    id: int
    filename: str
    size: int


@dataclass(frozen=True)
class PageMessage:
    from_desk: bool
    author: str
    created_at: datetime
    text: str
    files: tuple[PageFile, ...]


def page_ticket(ticket_id: int) -> PageTicket | None:
    """The ticket with its requester, or None."""
    row = (Ticket.select(Ticket, Customer).join(Customer).where(Ticket.id == ticket_id)
           .first())
    if row is None:
        return None
    customer = row.requester
    return PageTicket(id=row.id, subject=row.subject, status=row.status,
                      link_version=row.link_version, customer_id=customer.id,
                      customer_email=customer.email, customer_name=customer.name or "",
                      customer_language=customer.language,
                      customer_timezone=customer.timezone)


def link_version(ticket_id: int) -> int | None:
    """The ticket's current link version, None without such a ticket."""
    row = Ticket.select(Ticket.link_version).where(Ticket.id == ticket_id).first()
    return None if row is None else int(row.link_version)


def public_thread(ticket_id: int, limit: int = 200) -> list[PageMessage]:
    """The ticket's public messages, oldest first, each with its files (not inline images)."""
    messages = list(Message.select().where((Message.ticket == ticket_id)
                                           & (Message.visibility == "public"))
                    .order_by(Message.created_at.desc(), Message.id.desc()).limit(limit))
    files: dict[int, list[PageFile]] = {m.id: [] for m in messages}
    if messages:
        for attachment in (Attachment.select(Attachment.id, Attachment.message,
                                             Attachment.filename, Attachment.size)
                           .where(Attachment.message.in_(list(files)) & ~Attachment.inline)
                           .order_by(Attachment.id)):
            files[attachment.message_id].append(
                PageFile(attachment.id, attachment.filename, attachment.size))
    return [PageMessage(from_desk=m.direction == "out",
                        author=m.author_name or m.author_email, created_at=m.created_at,
                        text=m.text or m.body or "", files=tuple(files[m.id]))
            for m in reversed(messages)]


def public_file(ticket_id: int, attachment_id: int) -> tuple[str, str, bytes] | None:
    """(filename, content type, bytes) of a file of one of the ticket's public messages;
    None for any other attachment (another ticket's, an internal note's)."""
    row = (Attachment.select(Attachment.filename, Attachment.content_type, Blob.data)
           .join(Blob, on=(Attachment.blob == Blob.sha256))
           .switch(Attachment).join(Message)
           .where((Attachment.id == attachment_id) & (Message.ticket == ticket_id)
                  & (Message.visibility == "public"))
           .tuples().first())
    if row is None:
        return None
    filename, content_type, data = row
    return str(filename), str(content_type), bytes(data)



def customer_address(customer_id: int) -> tuple[str, str] | None:
    """(email, name) of a customer on file, None without one."""
    row = Customer.select(Customer.email, Customer.name).where(Customer.id == customer_id).first()
    return None if row is None else (str(row.email), str(row.name or ""))
