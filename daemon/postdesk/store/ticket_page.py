"""What a customer's ticket page reads (postdesk.channels.web), and the link version.

Only public messages and the files of public messages: internal notes and
their files never leave here. Only reads: `postdesk ticket revoke-links` bumps
the link version through `postdesk.tickets.service`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from postdesk.store.db import database
from postdesk.store.models import Attachment, Blob, Customer, Message, Participant, Ticket


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
    updated_at: datetime
    merged_into: int | None
    request_type: str | None
    priority: str
    sla_policy: str | None  # the policy its SLA clocks run on (None: none yet)


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
    """The ticket with its requester, or None (one statement: the page reads it per view)."""
    param = database.obj.param
    row = database.execute_sql(
        'SELECT "t"."id", "t"."subject", "t"."status", "t"."link_version", "c"."id", '
        '"c"."email", "c"."name", "c"."language", "c"."timezone", "t"."updated_at", '
        '"t"."merged_into", "t"."request_type", "t"."priority", "s"."policy" '
        'FROM "ticket" AS "t" JOIN "customer" AS "c" ON "c"."id" = "t"."requester_id" '
        'LEFT JOIN "ticket_sla" AS "s" ON "s"."ticket_id" = "t"."id" '
        f'WHERE "t"."id" = {param}',
        [ticket_id]).fetchone()
    if row is None:
        return None
    return PageTicket(id=int(row[0]), subject=str(row[1]), status=str(row[2]),
                      link_version=int(row[3]), customer_id=int(row[4]),
                      customer_email=str(row[5]), customer_name=str(row[6] or ""),
                      customer_language=row[7], customer_timezone=row[8],
                      updated_at=Ticket.updated_at.python_value(row[9]),
                      merged_into=None if row[10] is None else int(row[10]),
                      request_type=row[11], priority=str(row[12]), sla_policy=row[13])


def is_member(ticket_id: int, customer_id: int) -> bool:
    """Whether the customer is the ticket's requester or one of its participants."""
    param = database.obj.param
    return database.execute_sql(
        f'SELECT 1 FROM "ticket" WHERE "id" = {param} AND "requester_id" = {param} '
        f'UNION ALL SELECT 1 FROM "participant" WHERE "ticket_id" = {param} '
        f'AND "customer_id" = {param}',
        [ticket_id, customer_id, ticket_id, customer_id]).fetchone() is not None


def link_version(ticket_id: int) -> int | None:
    """The ticket's current link version, None without such a ticket."""
    param = database.obj.param
    row = database.execute_sql(f'SELECT "link_version" FROM "ticket" WHERE "id" = {param}',
                               [ticket_id]).fetchone()
    return None if row is None else int(row[0])


def public_thread(ticket_id: int, limit: int = 200) -> list[PageMessage]:
    """The ticket's newest `limit` public messages, oldest first, each with its files (not
    inline images): two statements."""
    param = database.obj.param
    rows = database.execute_sql(
        'SELECT "id", "direction", "author_name", "author_email", "created_at", "text", '
        f'"body" FROM "message" WHERE "ticket_id" = {param} AND "visibility" = \'public\' '
        f'ORDER BY "created_at" DESC, "id" DESC LIMIT {param}', [ticket_id, limit]).fetchall()
    files: dict[int, list[PageFile]] = {int(row[0]): [] for row in rows}
    if rows:
        marks = ", ".join([param] * len(files))
        for attachment_id, message_id, filename, size in database.execute_sql(
                'SELECT "id", "message_id", "filename", "size" FROM "attachment" '
                f'WHERE "message_id" IN ({marks}) AND NOT "inline" ORDER BY "id"',
                list(files)):
            files[int(message_id)].append(PageFile(int(attachment_id), str(filename),
                                                   int(size)))
    created = Message.created_at.python_value
    return [PageMessage(from_desk=direction == "out", author=str(name or email),
                        created_at=created(at), text=str(text or body or ""),
                        files=tuple(files[int(message_id)]))
            for message_id, direction, name, email, at, text, body in reversed(rows)]


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



def public_attachments(ticket_id: int, attachment_ids: Sequence[int]) -> set[int]:
    """Which of these attachments belong to public messages of the ticket (a file of an
    internal note, or of another ticket, is never among them)."""
    if not attachment_ids:
        return set()
    rows = (Attachment.select(Attachment.id).join(Message)
            .where(Attachment.id.in_(list(attachment_ids)) & (Message.ticket == ticket_id)
                   & (Message.visibility == "public")))
    return {int(row.id) for row in rows}


def customer_address(customer_id: int) -> tuple[str, str] | None:
    """(email, name) of a customer on file, None without one."""
    row = Customer.select(Customer.email, Customer.name).where(Customer.id == customer_id).first()
    return None if row is None else (str(row.email), str(row.name or ""))


def open_tickets_of(email: str, closed_statuses: Sequence[str], limit: int = 20
                    ) -> tuple[Customer | None, list[Ticket]]:
    """The customer with address `email` (None: not on file) and their newest `limit`
    tickets not in a closed status and not merged, as requester or participant."""
    customer = Customer.get_or_none(Customer.email == email.strip().lower())
    if customer is None:
        return None, []
    theirs = (Ticket.requester == customer.id) | Ticket.id.in_(
        Participant.select(Participant.ticket).where(Participant.customer == customer.id))
    query = Ticket.select().where(theirs & Ticket.merged_into.is_null())
    if closed_statuses:
        query = query.where(Ticket.status.not_in(list(closed_statuses)))
    return customer, list(query.order_by(Ticket.id.desc()).limit(limit))
