"""The only write path for domain rows: customers, tickets, messages, events, outbox.

Every function here runs inside the caller's transaction and takes the clock
as an argument; none commits on its own, so one incoming mail is one unit of
work that either happens entirely or not at all. The caller passes its
`UnitOfWork` (`work=`) to gather the events for one INSERT at its end;
without one, each event is inserted at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from postdesk.chat.channels import DirectNotices
from postdesk.mail.parse import Attachment as ParsedAttachment
from postdesk.store import chat_store, fastsql
from postdesk.store.models import (
    Attachment,
    Blob,
    Customer,
    Inbound,
    Link,
    Message,
    Outbox,
    Participant,
    Ticket,
)
from postdesk.tickets.chat_mirror import divert_to_chat
from postdesk.tickets.chat_triage_mirror import mirror_customer_message
from postdesk.tickets.statuses import INITIAL_STATUS
from postdesk.tickets.unit_of_work import UnitOfWork, insert_event


@dataclass(frozen=True)
class MailToSend:
    """A decision to send one mail; the sender renders it later in the recipient's locale."""

    kind: str
    recipient: str
    message_id: str
    language: str | None
    timezone: str | None
    context: Mapping[str, Any]
    headers: Mapping[str, Any]
    automatic: bool = True
    #: a requester who started in chat and has been silent there this long gets this mail
    #: by mail as well as in the thread (channels.yaml `mail_after_silence_hours`)
    mail_after_silence: timedelta | None = None
    #: a customer of a ticket that did not start in chat, known in chat, gets this mail
    #: as a direct message too (channels.yaml `notify_mail_requesters_in_chat`)
    direct_notices: DirectNotices | None = None


def find_or_create_customer(
    email: str, name: str, *, language: str | None, timezone: str | None, now: datetime
) -> Customer:
    """The customer for an address, whatever its case; a later display name fills a blank one."""
    key = email.strip().lower()
    customer = fastsql.get_by(Customer, Customer.email, key)
    if customer is None:
        # on conflict another worker created it a moment ago: take theirs
        customer = fastsql.create_if_absent(
            Customer, email=key, name=name[:300], language=language, timezone=timezone,
            bouncing=False, created_at=now) or fastsql.get_by(Customer, Customer.email, key)
        assert customer is not None
        return customer
    if name and not customer.name:
        customer.name = name[:300]
        fastsql.save_fields(customer, [Customer.name])
    return customer


def create_customer(
    email: str, name: str, *, language: str | None, timezone: str | None, now: datetime
) -> Customer:
    """`find_or_create_customer` for an address a read has just found unknown: the insert
    comes first, and only when another worker got there in the meantime is theirs read."""
    created = fastsql.create_if_absent(
        Customer, email=email.strip().lower(), name=name[:300], language=language,
        timezone=timezone, bouncing=False, created_at=now)
    return created or find_or_create_customer(email, name, language=language,
                                              timezone=timezone, now=now)


def open_ticket(requester: Customer, subject: str, *, now: datetime,
                request_type: str | None = None, team: str | None = None,
                work: UnitOfWork | None = None) -> Ticket:
    ticket = fastsql.create(
        Ticket, subject=subject[:1000], status=INITIAL_STATUS, requester=requester,
        request_type=request_type, team=team, created_at=now, updated_at=now,
        status_changed_at=now,
    )
    record_event(ticket, "ticket.created", {"subject": ticket.subject}, actor=requester.email,
                 now=now, work=work)
    return ticket


def add_participants(ticket: Ticket, customers: Iterable[Customer]) -> None:
    for customer in customers:
        if customer.id == ticket.requester_id:
            continue
        Participant.insert(ticket=ticket, customer=customer).on_conflict_ignore().execute()


def add_message(
    ticket: Ticket,
    *,
    direction: str,
    visibility: str,
    author_email: str,
    author_name: str,
    subject: str,
    text: str,
    body: str,
    html: str | None,
    message_id: str | None,
    inbound: Inbound | int | None,
    attachments: Iterable[ParsedAttachment],
    now: datetime,
    work: UnitOfWork | None = None,
) -> Message:
    message = fastsql.create(
        Message, ticket=ticket, direction=direction, visibility=visibility,
        author_email=author_email.lower(), author_name=author_name[:300],
        message_id=message_id[:998] if message_id else None, subject=subject[:1000],
        text=text, body=body, html=html, inbound=inbound, created_at=now,
    )
    for part in attachments:
        store_attachment(message, part)
    if ticket.updated_at != now:
        ticket.updated_at = now
        fastsql.save_fields(ticket, [Ticket.updated_at])
    record_event(ticket, "message.received" if direction == "in" else "message.sent",
                 {"message": message.id, "visibility": visibility}, actor=author_email, now=now,
                 work=work)
    if direction == "in" and visibility == "public" and _may_have_triage_posts(ticket, now):
        mirror_customer_message(ticket.id, message, now)  # agents in triage threads see it
    return message


def store_attachment(message: Message, part: ParsedAttachment) -> Attachment:
    """Store an attachment; identical contents share one blob."""
    digest = hashlib.sha256(part.data).hexdigest()
    fastsql.insert_if_absent(Blob, sha256=digest, data=part.data, size=len(part.data))
    return fastsql.create(
        Attachment, message=message, filename=part.filename[:300],
        content_type=part.content_type[:200],
        size=len(part.data), blob=digest, content_id=part.content_id, inline=part.inline,
        note=part.note,
    )


def set_status(ticket: Ticket, status: str, *, actor: str, now: datetime,
               rule: str | None = None, reason: str = "", work: UnitOfWork | None = None
               ) -> bool:
    """Change the status (a no-op when it is already that); records who or what did it."""
    old = ticket.status
    if old == status:
        return False
    ticket.status = status
    ticket.updated_at = now
    ticket.status_changed_at = now
    fastsql.save_fields(ticket, [Ticket.status, Ticket.updated_at, Ticket.status_changed_at])
    data = {"old": old, "new": status}
    if reason:
        data["reason"] = reason
    record_event(ticket, "status.changed", data, actor=actor, now=now, rule=rule, work=work)
    if _may_have_triage_posts(ticket, now):
        chat_store.follow_ticket(ticket, now)  # its triage posts show the new status
    return True


def change_ticket(ticket: Ticket, event: str, *, actor: str, now: datetime,
                  rule: str | None = None, work: UnitOfWork | None = None,
                  **changes: Any) -> bool:
    """Set ticket fields and record one event with old and new values; no-op if equal."""
    old = {name: getattr(ticket, name) for name in changes}
    if old == changes:
        return False
    for name, value in changes.items():
        setattr(ticket, name, value)
    ticket.updated_at = now
    fastsql.save_fields(ticket, [*(getattr(Ticket, name) for name in changes),
                                 Ticket.updated_at])
    record_event(ticket, event, {"old": old, "new": changes}, actor=actor, now=now, rule=rule,
                 work=work)
    if _may_have_triage_posts(ticket, now) and any(name in chat_store.TRIAGE_FACTS
                                                   for name in changes):
        chat_store.follow_ticket(ticket, now)  # its triage posts show the change
    return True


def _may_have_triage_posts(ticket: Ticket, now: datetime) -> bool:
    """False for a ticket opened in this same unit of work: its triage posts are queued
    at the end of it, with its facts as they are then (`chat_triage.post_to_triage`), so
    there is nothing to look up for it yet."""
    return ticket.created_at != now


def add_note(ticket: Ticket, text: str, *, author: str, now: datetime,
             rule: str | None = None, work: UnitOfWork | None = None) -> Message:
    """An internal note: agents see it, customers never do."""
    note = fastsql.create(Message, ticket=ticket, direction="out", visibility="internal",
                          author_email=author[:320], text=text, body=text, created_at=now)
    record_event(ticket, "note.added", {"message": note.id}, actor=author, now=now, rule=rule,
                 work=work)
    return note


def link_tickets(ticket: Ticket, other: Ticket | int, kind: str, *, actor: str,
                 now: datetime, work: UnitOfWork | None = None) -> None:
    other_id = other if isinstance(other, int) else other.id
    fastsql.insert_if_absent(Link, ticket=ticket.id, other=other_id, kind=kind, created_at=now)
    record_event(ticket, "ticket.linked", {"other": other_id, "kind": kind}, actor=actor, now=now,
                 work=work)


def link_new_ticket(ticket: Ticket, others: Sequence[int], kind: str, *, actor: str,
                    now: datetime, work: UnitOfWork | None = None) -> None:
    """`link_tickets` to each of `others` from a ticket opened in this transaction (so none
    of these links can exist yet): one statement for the links, one event each."""
    fields = (Link.ticket, Link.other, Link.kind, Link.created_at)
    fastsql.insert_rows(Link, fields, [(ticket.id, other, kind, Link.created_at.db_value(now))
                                       for other in others])
    for other in others:
        record_event(ticket, "ticket.linked", {"other": other, "kind": kind}, actor=actor,
                     now=now, work=work)


def merge_tickets(ticket: Ticket, into: Ticket, *, closed_status: str, actor: str,
                  now: datetime, rule: str | None = None, work: UnitOfWork | None = None) -> int:
    """Move `ticket`'s messages (with their attachments) and people into `into`; `ticket`
    stays as a pointer (`merged_into`, a closed status) so that later mail to it threads
    into `into`. Returns how many messages moved."""
    moved = Message.update(ticket=into.id).where(Message.ticket == ticket.id).execute()
    people = [ticket.requester_id, *(p.customer_id for p in Participant.select(
        Participant.customer).where(Participant.ticket == ticket.id))]
    # kept on the pointer too: a [#n] tag of the old ticket still threads for them
    for customer_id in dict.fromkeys(people):
        if customer_id != into.requester_id:
            fastsql.insert_if_absent(Participant, ticket=into.id, customer=customer_id)
    ticket.merged_into = into.id
    fastsql.save_fields(ticket, [Ticket.merged_into])
    set_status(ticket, closed_status, actor=actor, now=now, reason=f"merged into #{into.id}",
               rule=rule, work=work)
    record_event(ticket, "ticket.merged", {"into": into.id, "messages": moved}, actor=actor,
                 now=now, rule=rule, work=work)
    into.updated_at = now
    fastsql.save_fields(into, [Ticket.updated_at])
    record_event(into, "ticket.merged_in", {"from": ticket.id, "messages": moved}, actor=actor,
                 now=now, rule=rule, work=work)
    return int(moved)


def set_customer_language(ticket: Ticket, language: str, *, actor: str, now: datetime,
                          rule: str | None = None, work: UnitOfWork | None = None) -> None:
    """The language the ticket's requester is written to in, from now on."""
    Customer.update(language=language).where(Customer.id == ticket.requester_id).execute()
    record_event(ticket, "customer.language_changed", {"language": language}, actor=actor,
                 now=now, rule=rule, work=work)


def revoke_links(ticket: Ticket, *, actor: str, now: datetime) -> int:
    """Refuse every link to the ticket's page handed out so far; returns the new version."""
    Ticket.update(link_version=Ticket.link_version + 1).where(Ticket.id == ticket.id).execute()
    version = int(Ticket.select(Ticket.link_version).where(Ticket.id == ticket.id)
                  .scalar())
    record_event(ticket, "ticket.links_revoked", {"version": version}, actor=actor, now=now)
    return version


def mark_bouncing(addresses: Iterable[str]) -> int:
    """Flag customer addresses that bounced for good; returns how many were flagged."""
    emails = [a.lower() for a in addresses]
    if not emails:
        return 0
    return int(Customer.update(bouncing=True).where(Customer.email.in_(emails)).execute())


def record_event(ticket: Ticket | int, kind: str, data: Mapping[str, Any], *, actor: str,
                 now: datetime, rule: str | None = None, work: UnitOfWork | None = None) -> None:
    """One entry of the ticket's audit trail: what happened, who or which rule did it."""
    ticket_id = ticket if isinstance(ticket, int) else ticket.id
    if work is None:
        insert_event(ticket_id, kind, data, actor=actor, rule=rule, now=now)
    else:
        work.add_event(ticket_id, kind, data, actor=actor, rule=rule, now=now)


def queue_mail(ticket: Ticket | None, mail: MailToSend, *, now: datetime) -> Outbox:
    """An outbox row; the Message-ID is fixed now so that every retry sends the same mail."""
    # its fate is recorded when it is sent or fails (mail.sent / mail.failed events)
    row = fastsql.create(
        Outbox, ticket=ticket, kind=mail.kind, recipient=mail.recipient.lower(),
        language=mail.language, automatic=mail.automatic,
        timezone=mail.timezone, message_id=mail.message_id, context=dict(mail.context),
        headers=dict(mail.headers), state="pending", next_attempt_at=now, created_at=now,
        dispatched_at=now,
    )
    if ticket is not None:  # a ticket started in chat: its requester hears in the thread
        divert_to_chat(ticket, row, now, mail_after_silence=mail.mail_after_silence,
                       direct_notices=mail.direct_notices)
    return row


def hold_mail(outbox: Outbox, until: datetime) -> None:
    """Keep a queued mail back until `until`: the sender does not claim it before."""
    outbox.not_before = outbox.next_attempt_at = until
    fastsql.save_fields(outbox, [Outbox.not_before, Outbox.next_attempt_at])
