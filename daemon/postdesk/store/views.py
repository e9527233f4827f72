"""The read side for people and scripts: tickets and inbound mail as plain data.

The shapes here are the JSON that `postdesk tickets --json` and
`postdesk ticket show --json` print; scripts depend on them, so fields are
only ever added. Both carry the live SLA (`sla`: clock -> {state, due,
remaining_s} at `now`, see `postdesk.sla.tracking.live`; `sla_state`: the worst clock's).

A list of tickets is read `CHUNK` at a time, each query starting where the last
one ended along an index (keyset paging): a desk of a million tickets streams
out of `iter_ticket_summaries` with the memory of one chunk, on SQLite and
PostgreSQL alike, and no transaction stays open while the reader prints.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

import peewee

from postdesk.sla.tracking import live as sla_live
from postdesk.store.db import utcnow
from postdesk.store.models import Attachment, Customer, Event, Inbound, Message, Participant, Ticket
from postdesk.store.sla_store import TicketSla
from postdesk.tickets.statuses import DEFAULT_BOOK, StatusBook

if TYPE_CHECKING:
    from postdesk.sla.policy import SlaConfig

#: The SLA policies, or a function that loads them: loading rules/sla.yaml (and the
#: holidays of its calendars) costs more than reading a small desk, and only tickets
#: with stored clocks need it, so a command can pass the function.
SlaSource: TypeAlias = "SlaConfig | Callable[[], SlaConfig | None] | None"

#: Tickets read per query when a list is streamed.
CHUNK = 500


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def person(customer: Customer) -> dict[str, Any]:
    return {"email": customer.email, "name": customer.name, "language": customer.language,
            "bouncing": customer.bouncing}


def ticket_summaries(status: str | None = None, limit: int | None = None,
                     statuses: StatusBook = DEFAULT_BOOK, *, sort: str = "newest",
                     sla: SlaSource = None, now: datetime | None = None,
                     ) -> list[dict[str, Any]]:
    """`iter_ticket_summaries` as a list: for a page of tickets, not for a whole desk."""
    return list(iter_ticket_summaries(status, limit, statuses, sort=sort, sla=sla, now=now))


def iter_ticket_summaries(status: str | None = None, limit: int | None = None,
                          statuses: StatusBook = DEFAULT_BOOK, *, sort: str = "newest",
                          sla: SlaSource = None, now: datetime | None = None,
                          ) -> Iterator[dict[str, Any]]:
    """Tickets newest first, or with `sort="due"` the soonest SLA due time first (tickets
    whose clocks are all met or paused last, newest first); every one unless `limit`."""
    now = now or utcnow()
    size = min(limit, CHUNK) if limit else CHUNK
    chunks = _due_chunks(status, size) if sort == "due" else _newest_chunks(status, size)
    tickets = itertools.islice(_with_clocks(chunks, sla, now), limit or None)
    for ticket, clocks in tickets:
        yield {
            "id": ticket.id,
            "subject": ticket.subject,
            "status": ticket.status,
            "public_status": statuses.public_name(ticket.status),
            "requester": person(ticket.requester),
            "assignee": ticket.assignee,
            "created_at": _iso(ticket.created_at),
            "updated_at": _iso(ticket.updated_at),
            "message_count": getattr(ticket, "message_count", 0) or 0,
            **sla_fields(clocks),
        }


def count_tickets(status: str | None = None) -> int:
    """How many tickets there are (with this internal status)."""
    query = Ticket.select(peewee.fn.COUNT(Ticket.id))
    if status:
        query = query.where(Ticket.status == status)
    return int(query.scalar() or 0)


def _with_clocks(chunks: Iterable[list[Ticket]], sla: SlaSource, now: datetime
                 ) -> Iterator[tuple[Ticket, dict[str, sla_live.LiveClock]]]:
    """Each ticket with its live clocks, read one query per chunk."""
    for tickets in chunks:
        clocks = live_sla([t.id for t in tickets], sla, now)
        for ticket in tickets:
            yield ticket, clocks.get(ticket.id, {})


def _summary_query(status: str | None) -> Any:
    """Tickets with their requester and their number of messages."""
    count = (Message.select(peewee.fn.COUNT(Message.id))
             .where(Message.ticket == Ticket.id))
    query = (Ticket.select(Ticket, Customer, count.alias("message_count"))
             .join(Customer, on=(Ticket.requester == Customer.id)))
    return query.where(Ticket.status == status) if status else query


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


def _newest_chunks(status: str | None, size: int) -> Iterator[list[Ticket]]:
    """Newest first, along the primary key."""
    return _keyset(_summary_query(status).order_by(Ticket.id.desc()), size,
                   lambda last: Ticket.id < last.id)


def _due_chunks(status: str | None, size: int) -> Iterator[list[Ticket]]:
    """Soonest due first along the `ticket_sla.due_at` index (the same due time: newest
    first), then the tickets without a due time (all clocks met or paused, or none),
    newest first."""
    due = (_summary_query(status).select_extend(TicketSla.due_at)
           .join_from(Ticket, TicketSla, on=(TicketSla.ticket == Ticket.id))
           .where(TicketSla.due_at.is_null(False))
           .order_by(TicketSla.due_at, Ticket.id.desc()))
    undue = (_summary_query(status)
             .join_from(Ticket, TicketSla, peewee.JOIN.LEFT_OUTER,
                        on=(TicketSla.ticket == Ticket.id))
             .where(TicketSla.due_at.is_null()).order_by(Ticket.id.desc()))
    return itertools.chain(
        _keyset(due, size, lambda last: (TicketSla.due_at > last.ticketsla.due_at)
                | ((TicketSla.due_at == last.ticketsla.due_at) & (Ticket.id < last.id))),
        _keyset(undue, size, lambda last: Ticket.id < last.id))


def live_sla(ticket_ids: Iterable[int], config: SlaSource, now: datetime
             ) -> dict[int, dict[str, sla_live.LiveClock]]:
    """The live clocks of these tickets at `now` (one query; tickets without clocks left
    out). Without `config` clocks count wall-clock time (see `postdesk.sla.tracking.live`);
    a function for it is called only when one of the tickets has clocks."""
    wanted = list(ticket_ids)
    if not wanted:
        return {}
    rows = list(TicketSla.select(TicketSla.ticket, TicketSla.policy, TicketSla.clocks,
                                 TicketSla.updated_at).where(TicketSla.ticket.in_(wanted)))
    if not rows:
        return {}
    policies = config() if callable(config) else config
    return {row.ticket_id: sla_live.live_clocks(row.policy, row.clocks or {}, row.updated_at,
                                                policies, now)
            for row in rows}


def sla_fields(clocks: dict[str, sla_live.LiveClock]) -> dict[str, Any]:
    """`sla` and `sla_state` of a ticket's JSON."""
    return {"sla": {name: clock.as_json() for name, clock in clocks.items()},
            "sla_state": sla_live.worst(c.state for c in clocks.values())}


def ticket_detail(ticket_id: int, statuses: StatusBook = DEFAULT_BOOK, *,
                  sla: SlaSource = None, now: datetime | None = None,
                  ) -> dict[str, Any] | None:
    ticket = (Ticket.select(Ticket, Customer).join(Customer)
              .where(Ticket.id == ticket_id).first())
    if ticket is None:
        return None
    participants = (Customer.select().join(Participant)
                    .where(Participant.ticket == ticket.id).order_by(Customer.email))
    messages = Message.select().where(Message.ticket == ticket.id).order_by(Message.id)
    attachments: dict[int, list[dict[str, Any]]] = {}
    for item in (Attachment.select().join(Message)
                 .where(Message.ticket == ticket.id).order_by(Attachment.id)):
        attachments.setdefault(item.message_id, []).append(
            {"filename": item.filename, "content_type": item.content_type, "size": item.size,
             "inline": item.inline, "note": item.note})
    events = Event.select().where(Event.ticket == ticket.id).order_by(Event.id)
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status,
        "public_status": statuses.public_name(ticket.status),
        "priority": ticket.priority,
        "tags": list(ticket.tags or ()),
        "sla_paused": ticket.sla_paused,
        "requester": person(ticket.requester),
        "participants": [person(p) for p in participants],
        "assignee": ticket.assignee,
        "team": ticket.team,
        "request_type": ticket.request_type,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        **sla_fields(live_sla([ticket.id], sla, now or utcnow()).get(ticket.id, {})),
        "messages": [
            {
                "id": message.id,
                "direction": message.direction,
                "author_email": message.author_email,
                "author_name": message.author_name,
                "visibility": message.visibility,
                "subject": message.subject,
                "text": message.text,
                "created_at": _iso(message.created_at),
                "attachments": attachments.get(message.id, []),
            }
            for message in messages
        ],
        "events": [
            {"kind": event.kind, "data": event.data, "actor": event.actor, "rule": event.rule,
             "created_at": _iso(event.created_at)}
            for event in events
        ],
    }


def inbound_rows(states: tuple[str, ...] = (), limit: int = 100) -> list[dict[str, Any]]:
    query = (Inbound.select(Inbound.id, Inbound.received_at, Inbound.source, Inbound.mail_from,
                            Inbound.rcpt_to, Inbound.size, Inbound.state, Inbound.reason,
                            Inbound.attempts, Inbound.ticket)
             .order_by(Inbound.id.desc()).limit(limit))
    if states:
        query = query.where(Inbound.state.in_(states))
    return [
        {"id": row.id, "received_at": _iso(row.received_at), "source": row.source,
         "mail_from": row.mail_from, "rcpt_to": row.rcpt_to, "size": row.size,
         "state": row.state, "reason": row.reason, "attempts": row.attempts,
         "ticket": row.ticket_id}
        for row in query
    ]
