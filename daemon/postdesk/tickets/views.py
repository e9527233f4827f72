"""The read side for people and scripts: tickets and inbound mail as plain data.

The shapes here are the JSON that `postdesk tickets --json`,
`postdesk ticket show --json` and `postdesk inbound --json` print; scripts
depend on them, so fields are only ever added. Tickets carry the live SLA
(`sla`: clock -> {state, due, remaining_s} at `now`, see
`postdesk.sla.tracking.live`; `sla_state`: the worst clock's) and the status
name customers see. The rows come from `postdesk.store.ticket_listing`; a list
of tickets streams from it `CHUNK` at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from postdesk.mail.raw_message_id import HEAD_BYTES, message_id_of
from postdesk.sla.tracking import live as sla_live
from postdesk.store.chat_lookups import channels_of_inbound
from postdesk.store.db import utcnow
from postdesk.store.models import Customer, Ticket
from postdesk.store.ticket_listing import (
    Filter,
    due_chunks,
    newest_chunks,
    newest_inbound,
    stored_clocks,
    ticket_thread,
)
from postdesk.tickets.statuses import DEFAULT_BOOK, StatusBook

if TYPE_CHECKING:
    from postdesk.sla.policy import SlaConfig

#: The SLA policies, or a function that loads them: loading rules/sla.yaml (and the
#: holidays of its calendars) costs more than reading a small desk, and only tickets
#: with stored clocks need it, so a command can pass the function.
SlaSource: TypeAlias = "SlaConfig | Callable[[], SlaConfig | None] | None"

#: Events kept for `rules explain` (`automation.snapshot.SNAPSHOT_EVENT`; a literal here:
#: listing tickets must not load the rules engine), not part of a ticket's activity.
HIDDEN_EVENTS = frozenset({"rules.evaluated"})

#: Tickets read per query when a list is streamed.
CHUNK = 500


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def person(customer: Customer) -> dict[str, Any]:
    return {"email": customer.email, "name": customer.name, "language": customer.language,
            "bouncing": customer.bouncing}


def ticket_summaries(status: Filter = None, limit: int | None = None,
                     statuses: StatusBook = DEFAULT_BOOK, *, sort: str = "newest",
                     sla: SlaSource = None, now: datetime | None = None,
                     ) -> list[dict[str, Any]]:
    """`iter_ticket_summaries` as a list: for a page of tickets, not for a whole desk."""
    return list(iter_ticket_summaries(status, limit, statuses, sort=sort, sla=sla, now=now))


def iter_ticket_summaries(status: Filter = None, limit: int | None = None,
                          statuses: StatusBook = DEFAULT_BOOK, *, sort: str = "newest",
                          sla: SlaSource = None, now: datetime | None = None,
                          ) -> Iterator[dict[str, Any]]:
    """Tickets newest first, or with `sort="due"` the soonest SLA due time first (tickets
    whose clocks are all met or paused last, newest first); every one unless `limit`;
    `status` a status name or a `TicketFilter` (requester, assignee, team, tag, text...)."""
    now = now or utcnow()
    size = min(limit, CHUNK) if limit else CHUNK
    chunks = due_chunks(status, size) if sort == "due" else newest_chunks(status, size)
    for ticket, clocks in itertools.islice(_with_clocks(chunks, sla, now), limit or None):
        yield summary(ticket, clocks, statuses)


def summary(ticket: Ticket, clocks: dict[str, sla_live.LiveClock],
            statuses: StatusBook) -> dict[str, Any]:
    """One ticket of `tickets --json` (its `requester` and `message_count` read)."""
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status,
        "public_status": statuses.public_name(ticket.status),
        "requester": person(ticket.requester),
        "assignee": ticket.assignee,
        "team": ticket.team,
        "priority": ticket.priority,
        "tags": list(ticket.tags or ()),
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "message_count": getattr(ticket, "message_count", 0) or 0,
        **sla_fields(clocks),
    }


def _with_clocks(chunks: Iterable[list[Ticket]], sla: SlaSource, now: datetime
                 ) -> Iterator[tuple[Ticket, dict[str, sla_live.LiveClock]]]:
    """Each ticket with its live clocks, read one query per chunk."""
    for tickets in chunks:
        clocks = live_sla([t.id for t in tickets], sla, now)
        for ticket in tickets:
            yield ticket, clocks.get(ticket.id, {})


def live_sla(ticket_ids: Iterable[int], config: SlaSource, now: datetime
             ) -> dict[int, dict[str, sla_live.LiveClock]]:
    """The live clocks of these tickets at `now` (one query; tickets without clocks left
    out). Without `config` clocks count wall-clock time (see `postdesk.sla.tracking.live`);
    a function for it is called only when one of the tickets has clocks."""
    rows = stored_clocks(ticket_ids)
    if not rows:
        return {}
    policies = config() if callable(config) else config
    return {row.ticket_id: sla_live.live_clocks(row.policy, row.clocks, row.updated_at,
                                                policies, now)
            for row in rows}


def sla_fields(clocks: dict[str, sla_live.LiveClock]) -> dict[str, Any]:
    """`sla` and `sla_state` of a ticket's JSON."""
    return {"sla": {name: clock.as_json() for name, clock in clocks.items()},
            "sla_state": sla_live.worst(c.state for c in clocks.values())}


def ticket_detail(ticket_id: int, statuses: StatusBook = DEFAULT_BOOK, *,
                  sla: SlaSource = None, now: datetime | None = None, full: bool = False,
                  ) -> dict[str, Any] | None:
    """`ticket show --json`. Each message's `text` is what people read of it;
    `hidden_text`: the mail as received says more (quoted history, a signature, a
    forward kept as `forwarded.txt`); `text_is_whole`: nothing new was found in a
    reply, so its text is the whole mail; with `full`, `whole_text` is the full
    decoded text as received."""
    thread = ticket_thread(ticket_id)
    if thread is None:
        return None
    ticket = thread.ticket
    shown_whole = {event.data.get("message") for event in thread.events
                   if event.kind == "message.shown_whole"}
    chat = channels_of_inbound([m.inbound_id for m in thread.messages
                                if m.inbound_id is not None])
    channels = {m.id: chat.get(m.inbound_id or 0, "email") for m in thread.messages}
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status,
        "public_status": statuses.public_name(ticket.status),
        "priority": ticket.priority,
        "tags": list(ticket.tags or ()),
        "sla_paused": ticket.sla_paused,
        "requester": person(ticket.requester),
        "participants": [person(p) for p in thread.participants],
        "assignee": ticket.assignee,
        "team": ticket.team,
        "request_type": ticket.request_type,
        "merged_into": ticket.merged_into,
        # where it started: email, or the chat platform of its first message
        "channel": channels[thread.messages[0].id] if thread.messages else "email",
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
                "channel": channels[message.id],
                "subject": message.subject,
                "text": message.text,
                "hidden_text": message.direction == "in"
                and message.body.strip() != message.text.strip(),
                "text_is_whole": message.id in shown_whole,
                **({"whole_text": message.body or message.text} if full else {}),
                "created_at": _iso(message.created_at),
                "attachments": [
                    {"filename": item.filename, "content_type": item.content_type,
                     "size": item.size, "inline": item.inline, "note": item.note}
                    for item in thread.attachments.get(message.id, [])],
            }
            for message in thread.messages
        ],
        "events": [
            {"kind": event.kind, "data": event.data, "actor": event.actor, "rule": event.rule,
             "created_at": _iso(event.created_at)}
            for event in thread.events if event.kind not in HIDDEN_EVENTS
        ],
        "csat": csat_ratings(thread.events),
    }


def csat_ratings(events: Iterable[Any]) -> list[dict[str, Any]]:
    """The satisfaction ratings of the ticket, one per resolution (a changed rating replaces
    the earlier one; a rating without a resolution, e.g. from chat, stands alone), oldest
    first: {rating, scale, comment, at, channel, resolution}."""
    latest: dict[Any, dict[str, Any]] = {}
    for event in events:
        if event.kind != "satisfaction.rated":
            continue
        data = event.data
        key = data.get("resolution") or f"event-{event.id}"
        latest.pop(key, None)  # a change moves it to when it was changed
        latest[key] = {"rating": data.get("rating"), "scale": _scale_name(data.get("scale")),
                       "comment": data.get("comment", ""), "at": _iso(event.created_at),
                       "channel": data.get("channel", ""), "resolution": data.get("resolution")}
    return sorted(latest.values(), key=lambda rating: rating["at"] or "")


def _scale_name(scale: Any) -> Any:
    """A rating's scale as `[csat] scale` names it: a chat edge may give the best rating
    instead (5: "1-5", 3: "faces")."""
    return {5: "1-5", 3: "faces"}.get(scale, scale) if isinstance(scale, int) else scale


def inbound_rows(states: tuple[str, ...] = (), limit: int = 100, *,
                 dismissed: bool = True) -> list[dict[str, Any]]:
    """`postdesk inbound --json`; `dismissed`: with the failed mails an operator dismissed."""
    return [
        {"id": row.id, "received_at": _iso(row.received_at), "source": row.source,
         "message_id": message_id_of(bytes(getattr(row, "head", None) or b"")),
         "mail_from": row.mail_from, "rcpt_to": row.rcpt_to, "size": row.size,
         "state": row.state, "reason": row.reason, "attempts": row.attempts,
         "ticket": row.ticket_id,
         "dismissed": None if row.dismissed_at is None else {
             "at": _iso(row.dismissed_at), "by": row.dismissed_by,
             "reason": row.dismiss_reason}}
        for row in newest_inbound(states, limit, dismissed=dismissed, head_bytes=HEAD_BYTES)
    ]
