"""Tickets, their threads and arriving mail as rows, for the read side people and scripts use.

The JSON shapes (`postdesk tickets --json`, `ticket show --json`, `queue NAME
--json`, `inbound --json`) are made by `postdesk.tickets.views` and
`postdesk.ticket_queues.query` from these rows: what a ticket's status is
called for customers and how its SLA clocks stand now is theirs to say.

A list of tickets is read a chunk at a time, each query starting where the last
one ended along an index (keyset paging): a desk of a million tickets streams
out with the memory of one chunk, on SQLite and PostgreSQL alike, and no
transaction stays open while the reader prints.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee

from postdesk.store.models import Attachment, Customer, Event, Inbound, Message, Participant, Ticket
from postdesk.store.sla_store import TicketSla


def _with_requester(message_count: bool) -> Any:
    count = (Message.select(peewee.fn.COUNT(Message.id)).where(Message.ticket == Ticket.id))
    columns = (Ticket, Customer, count.alias("message_count")) if message_count \
        else (Ticket, Customer)
    return Ticket.select(*columns).join(Customer, on=(Ticket.requester == Customer.id))


def tickets_by_ids(ids: Sequence[int], *, message_count: bool = False) -> list[Ticket]:
    """The tickets with these numbers in that order, each with its `requester` read (and
    its `message_count`, when asked); numbers without a ticket left out."""
    found = {t.id: t for t in _with_requester(message_count).where(Ticket.id.in_(list(ids)))}
    return [found[i] for i in ids if i in found]


@dataclass(frozen=True)
class TicketFilter:
    """What `postdesk tickets` narrows the list to; every field given must hold.

    `requester` is an address (any case), `text` a piece of the subject (any case,
    through the SQLite subject index where there is one), `since` / `until` bound
    the creation time (`until` excluded). Each is one indexed test, except `tag`
    and a `text` shorter than the subject index's trigram.
    """

    status: str | tuple[str, ...] | None = None  # one internal status, or any of several
    requester: str | None = None
    assignee: str | None = None
    team: str | None = None
    tag: str | None = None
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None


Filter = TicketFilter | str | tuple[str, ...] | None


def _as_filter(wanted: Filter) -> TicketFilter:
    return wanted if isinstance(wanted, TicketFilter) else TicketFilter(status=wanted or None)


def _narrowed(query: Any, wanted: Filter) -> Any:
    """`query` over tickets with the tests of `wanted` (a status name: that status only)."""
    found = _as_filter(wanted)
    tests: list[Any] = []
    if isinstance(found.status, tuple):
        tests.append(Ticket.status.in_(list(found.status)))
    elif found.status:
        tests.append(Ticket.status == found.status)
    if found.requester:
        # the customer's number first: `requester_id = N` is a test the planner sees as
        # narrower than any other index (a subquery it would weigh against `status`)
        customer = Customer.select(Customer.id).where(
            Customer.email == found.requester.strip().lower()).scalar()
        tests.append(Ticket.requester == customer if customer is not None else Ticket.id < 0)
    if found.assignee:
        tests.append(Ticket.assignee.is_null() if found.assignee == "none"
                     else Ticket.assignee == found.assignee.strip().lower())
    if found.team:
        tests.append(Ticket.team.is_null() if found.team == "none"
                     else Ticket.team == found.team.strip().lower())
    if found.tag or found.text:
        # the queues' text tests (case folding, the subject index); loaded only when asked
        from postdesk.store.queue_sql import subject_contains, tag_is

        if found.tag:
            tests.append(tag_is(found.tag.strip().lower()))
        if found.text:
            tests.append(subject_contains(found.text))
    if found.since is not None:
        tests.append(Ticket.created_at >= found.since)
    if found.until is not None:
        tests.append(Ticket.created_at < found.until)
    return query.where(*tests) if tests else query


def count_tickets(status: Filter = None) -> int:
    """How many tickets there are (with this internal status, or passing the filter)."""
    return int(_narrowed(Ticket.select(peewee.fn.COUNT(Ticket.id)), status).scalar() or 0)


def summary_query(status: Filter) -> Any:
    """Tickets (of `status`, or passing the filter) with their requester and their number
    of messages."""
    return _narrowed(_with_requester(True), status)


def _keyset(query: Any, size: int, after: Callable[[Any], Any]) -> Iterator[list[Any]]:
    """The rows of an ordered query, `size` at a time; `after(last row)` is the condition
    for the rows that follow it in that order."""
    page = query
    while True:
        rows = list(page.limit(size))
        if rows:
            yield rows
        if len(rows) < size:
            return
        page = query.where(after(rows[-1]))


def newest_chunks(status: Filter, size: int) -> Iterator[list[Ticket]]:
    """Tickets newest first along the primary key, `size` per query, each with its
    `requester` and `message_count`."""
    return _keyset(summary_query(status).order_by(Ticket.id.desc()), size,
                   lambda last: Ticket.id < last.id)


def due_chunks(status: Filter, size: int) -> Iterator[list[Ticket]]:
    """Soonest due first along the `ticket_sla.due_at` index (the same due time: newest
    first), then the tickets without a due time (all clocks met or paused, or none),
    newest first; `size` per query, as `newest_chunks`."""
    due = (summary_query(status).select_extend(TicketSla.due_at)
           .join_from(Ticket, TicketSla, on=(TicketSla.ticket == Ticket.id))
           .where(TicketSla.due_at.is_null(False))
           .order_by(TicketSla.due_at, Ticket.id.desc()))
    undue = (summary_query(status)
             .join_from(Ticket, TicketSla, peewee.JOIN.LEFT_OUTER,
                        on=(TicketSla.ticket == Ticket.id))
             .where(TicketSla.due_at.is_null()).order_by(Ticket.id.desc()))
    return itertools.chain(
        _keyset(due, size, lambda last: (TicketSla.due_at > last.ticketsla.due_at)
                | ((TicketSla.due_at == last.ticketsla.due_at) & (Ticket.id < last.id))),
        _keyset(undue, size, lambda last: Ticket.id < last.id))


@dataclass(frozen=True)
class StoredClocks:
    """A ticket's SLA row as `postdesk.sla.tracking.live` reads it."""

    ticket_id: int
    policy: str
    clocks: dict[str, Any]
    updated_at: datetime


def stored_clocks(ticket_ids: Iterable[int]) -> list[StoredClocks]:
    """The SLA rows of these tickets (one query; tickets without a row left out)."""
    wanted = list(ticket_ids)
    if not wanted:
        return []
    rows = TicketSla.select(TicketSla.ticket, TicketSla.policy, TicketSla.clocks,
                            TicketSla.updated_at).where(TicketSla.ticket.in_(wanted))
    return [StoredClocks(row.ticket_id, row.policy, row.clocks or {}, row.updated_at)
            for row in rows]


@dataclass(frozen=True)
class Thread:
    """One ticket with everything `postdesk ticket show` prints, in order."""

    ticket: Ticket  # its `requester` read
    participants: list[Customer]  # by address
    messages: list[Message]
    attachments: dict[int, list[Attachment]]  # by message id
    events: list[Event]


def ticket_thread(ticket_id: int) -> Thread | None:
    """The ticket and its thread, or None when there is no such ticket."""
    ticket = (Ticket.select(Ticket, Customer).join(Customer)
              .where(Ticket.id == ticket_id).first())
    if ticket is None:
        return None
    participants = (Customer.select().join(Participant)
                    .where(Participant.ticket == ticket.id).order_by(Customer.email))
    messages = Message.select().where(Message.ticket == ticket.id).order_by(Message.id)
    attachments: dict[int, list[Attachment]] = {}
    for item in (Attachment.select().join(Message)
                 .where(Message.ticket == ticket.id).order_by(Attachment.id)):
        attachments.setdefault(item.message_id, []).append(item)
    events = Event.select().where(Event.ticket == ticket.id).order_by(Event.id)
    return Thread(ticket, list(participants), list(messages), attachments, list(events))


def newest_inbound(states: tuple[str, ...] = (), limit: int = 100, *,
                   dismissed: bool = True, head_bytes: int = 0) -> list[Inbound]:
    """Arriving mail, newest first (in one of `states`, when given), without the raw bytes
    but with their first `head_bytes` as `.head` (for the Message-ID); without the failed
    mails an operator dismissed unless `dismissed`."""
    query = (Inbound.select(Inbound.id, Inbound.received_at, Inbound.source, Inbound.mail_from,
                            Inbound.rcpt_to, Inbound.size, Inbound.state, Inbound.reason,
                            Inbound.attempts, Inbound.ticket, Inbound.dismissed_at,
                            Inbound.dismissed_by, Inbound.dismiss_reason,
                            peewee.fn.SUBSTR(Inbound.raw, 1, head_bytes).alias("head"))
             .order_by(Inbound.id.desc()).limit(limit))
    if states:
        query = query.where(Inbound.state.in_(states))
    if not dismissed:
        query = query.where(Inbound.dismissed_at.is_null())
    return list(query)
