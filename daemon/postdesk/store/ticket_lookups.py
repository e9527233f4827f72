"""The reads the receive chain makes for each mail: duplicates, threading, the sender,
the people and the Message-IDs of a ticket's thread.

Each runs for nearly every mail, so the statements are written out once
(parameter placeholders of the database in use) instead of built by peewee
each time. They answer in plain values (ids, addresses) or model rows read by
`fastsql`; `correlate.find_ticket` decides from what they return.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postdesk.store import fastsql
from postdesk.store.db import database
from postdesk.store.db_errors import DoesNotExist
from postdesk.store.models import Attachment, Customer, Message, Participant, Ticket

#: Message-IDs are stored cut to this length (the column's size).
_MESSAGE_ID_LENGTH = 998


@dataclass(frozen=True)
class EarlierCopy:
    """A mail stored before that this one repeats: by Message-ID from the same sender, or
    byte for byte (then `inbound_id` is that mail's row)."""

    ticket_id: int | None
    inbound_id: int | None = None


def earlier_copy(message_id: str | None, sender: str, sha256: str,
                 inbound_id: int) -> EarlierCopy | None:
    """The same mail delivered before: same Message-ID from the same sender, else the same
    bytes in another inbound row that was stored (done, duplicate or ignored)."""
    param = database.obj.param
    if message_id:
        earlier = database.execute_sql(
            f'SELECT "ticket_id" FROM "message" WHERE "message_id" = {param} '
            f'AND "direction" = {param} AND "author_email" = {param} LIMIT 1',
            [message_id[:_MESSAGE_ID_LENGTH], "in", sender]).fetchone()
        if earlier is not None:
            return EarlierCopy(earlier[0])
    same_bytes = database.execute_sql(
        f'SELECT "id", "ticket_id" FROM "inbound" WHERE "sha256" = {param} AND "id" != {param} '
        f'AND "state" IN ({fastsql.placeholders(3)}) LIMIT 1',
        [sha256, inbound_id, "done", "duplicate", "ignored"]).fetchone()
    if same_bytes is not None:
        return EarlierCopy(same_bytes[1], inbound_id=same_bytes[0])
    return None


def tickets_of_message_ids(message_ids: Iterable[str]) -> tuple[int, ...]:
    """The tickets our mails (outbox) and stored mails (message) with these Message-IDs
    belong to, in the order of `message_ids`, each ticket once; ours win a tie."""
    ids = [m[:_MESSAGE_ID_LENGTH] for m in dict.fromkeys(message_ids) if m]
    if not ids:
        return ()
    among = f"IN ({fastsql.placeholders(len(ids))})"
    found: dict[str, int] = {}
    for message_id, ticket_id in database.execute_sql(
            f'SELECT "message_id", "ticket_id" FROM "outbox" WHERE "message_id" {among} '
            'AND "ticket_id" IS NOT NULL', ids):
        found[str(message_id)] = int(ticket_id)
    for message_id, ticket_id in database.execute_sql(
            f'SELECT "message_id", "ticket_id" FROM "message" WHERE "message_id" {among}', ids):
        found.setdefault(str(message_id), int(ticket_id))
    return tuple(dict.fromkeys(found[m] for m in ids if m in found))


def people_on_ticket(ticket_id: int) -> frozenset[str]:
    """Requester and participants (lowercased addresses): who may thread by subject tag."""
    param = database.obj.param
    return frozenset(str(email) for (email,) in database.execute_sql(
        'SELECT "customer"."email" FROM "customer" JOIN "ticket" '
        f'ON "ticket"."requester_id" = "customer"."id" WHERE "ticket"."id" = {param} '
        'UNION ALL SELECT "customer"."email" FROM "customer" JOIN "participant" '
        f'ON "participant"."customer_id" = "customer"."id" '
        f'WHERE "participant"."ticket_id" = {param}', [ticket_id, ticket_id]))


def ticket_exists(ticket_id: int) -> bool:
    return fastsql.exists(Ticket, Ticket.id, ticket_id)


def ticket(ticket_id: int) -> Ticket:
    """The ticket's row; DoesNotExist when there is none."""
    row = fastsql.get_by(Ticket, Ticket.id, ticket_id)
    if row is None:
        raise DoesNotExist(f"ticket {ticket_id} does not exist")
    return row


def ticket_or_none(ticket_id: int) -> Ticket | None:
    """The ticket's row, or None when there is none."""
    return fastsql.get_by(Ticket, Ticket.id, ticket_id)


def customer(email: str) -> Customer | None:
    """The customer with this (lowercased) address."""
    return fastsql.get_by(Customer, Customer.email, email)


def known_customers(emails: Iterable[str]) -> set[str]:
    """Which of these (lowercased) addresses are customers already, read at once."""
    wanted = sorted(set(emails))
    if not wanted:
        return set()
    return {row.email for row in fastsql.rows_by(Customer, Customer.email, wanted)}


def existing_tickets(ticket_ids: Collection[int]) -> set[int]:
    """Which of these tickets exist (those an agent's `#link` names, say)."""
    if not ticket_ids:
        return set()
    return {t.id for t in Ticket.select(Ticket.id).where(Ticket.id.in_(tuple(ticket_ids)))}


def public_thread_message_ids(ticket_id: int) -> tuple[list[str], list[str]]:
    """The Message-IDs of the ticket's thread that its customers have seen: (the mails the
    customer's side wrote, the mails we sent to the customer's side), each oldest first.
    Agents' own mails, internal notes and notifications to agents are not among them."""
    param = database.obj.param
    inbound: list[str] = []
    outbound: list[str] = []
    for outgoing, _, message_id in database.execute_sql(
            f'SELECT 0, "id", "message_id" FROM "message" WHERE "ticket_id" = {param} '
            'AND "message_id" IS NOT NULL AND "direction" = \'in\' '
            'AND "visibility" = \'public\' UNION ALL '
            f'SELECT 1, "o"."id", "o"."message_id" FROM "outbox" AS "o" '
            f'WHERE "o"."ticket_id" = {param} AND "o"."recipient" IN ('
            'SELECT "c"."email" FROM "customer" AS "c" JOIN "ticket" AS "t" '
            f'ON "t"."requester_id" = "c"."id" WHERE "t"."id" = {param} UNION '
            'SELECT "c"."email" FROM "participant" AS "p" JOIN "customer" AS "c" '
            f'ON "c"."id" = "p"."customer_id" WHERE "p"."ticket_id" = {param}) '
            'ORDER BY 1, 2', [ticket_id, ticket_id, ticket_id, ticket_id]):
        (outbound if outgoing else inbound).append(str(message_id))
    return inbound, outbound


def participant_emails(ticket_id: int) -> list[str]:
    """The addresses of the ticket's participants (not its requester), in the order they
    joined."""
    query: Any = (Participant.select(Customer.email).join(Customer)
                  .where(Participant.ticket == ticket_id).order_by(Participant.id))
    return [str(email) for (email,) in query.tuples()]


def message_files(message_id: int) -> list[tuple[int, str, int]]:
    """(id, file name, size) of a stored message's attachments that are files (not inline
    images), in the order they came."""
    sql = fastsql.prepared(("message-files",), lambda p: (  # every agents' notification
        f'SELECT "id", "filename", "size" FROM "attachment" WHERE "message_id" = {p} '
        f'AND NOT "inline" ORDER BY "id"'))
    return [(int(i), str(name), int(size))
            for i, name, size in database.execute_sql(sql, [message_id]).fetchall()]


@dataclass(frozen=True)
class ThreadMessage:
    """An earlier message as a thread below a mail shows it: not its whole body, its HTML
    or its headers."""

    author_name: str
    author_email: str
    direction: str
    visibility: str
    created_at: datetime
    text: str
    files: tuple[str, ...]  # the names of its files (not inline images)


def recent_messages(ticket_id: int, limit: int, *, public_only: bool,
                    before: int | None = None) -> list[ThreadMessage]:
    """The ticket's newest `limit` messages, newest first, each with the names of its files
    (not inline images); `public_only`: what the customer's side has seen; `before`: only
    those stored before that message. One round trip (messages and files together), its
    SQL written out once."""
    if limit <= 0:
        return []
    param = database.obj.param
    public = " AND \"visibility\" = 'public'" if public_only else ""
    if before is not None:
        public += f' AND "id" < {int(before)}'
    rows = database.execute_sql(
        'SELECT m."id", m."author_name", m."author_email", m."direction", m."visibility", '
        'm."created_at", m."text", a."filename" FROM ('
        'SELECT "id", "author_name", "author_email", "direction", "visibility", '
        f'"created_at", "text" FROM "message" WHERE "ticket_id" = {param}{public} '
        f'ORDER BY "created_at" DESC, "id" DESC LIMIT {param}) m '
        'LEFT JOIN "attachment" a ON a."message_id" = m."id" AND NOT a."inline" '
        'ORDER BY m."created_at" DESC, m."id" DESC, a."id"', [ticket_id, limit]).fetchall()
    found: dict[int, tuple[tuple[Any, ...], list[str]]] = {}
    for row in rows:
        files = found.setdefault(row[0], (row, []))[1]
        if row[7] is not None:
            files.append(str(row[7]))
    when = Message.created_at.python_value
    return [ThreadMessage(name or "", str(email), str(direction), str(visibility),
                          when(created), text or "", tuple(files))
            for (_, name, email, direction, visibility, created, text, _), files
            in found.values()]


def attached_files(message_id: int) -> tuple[int, ...]:
    """The ids of a stored message's attachments that are files (not inline images)."""
    return tuple(a.id for a in Attachment.select(Attachment.id)
                 .where((Attachment.message == message_id) & ~Attachment.inline))


def thread_message_ids(ticket_id: int) -> tuple[list[str], list[str]]:
    """The Message-IDs of the ticket's thread: (the mails it received, the mails we sent),
    each oldest first."""
    param = database.obj.param
    inbound: list[str] = []
    outbound: list[str] = []
    for outgoing, _, message_id in database.execute_sql(  # both tables, one round trip
            f'SELECT 0, "id", "message_id" FROM "message" WHERE "ticket_id" = {param} '
            'AND "message_id" IS NOT NULL UNION ALL '
            f'SELECT 1, "id", "message_id" FROM "outbox" WHERE "ticket_id" = {param} '
            'ORDER BY 1, 2', [ticket_id, ticket_id]):
        (outbound if outgoing else inbound).append(str(message_id))
    return inbound, outbound


#: Merges followed at most (a chain longer than this is cut: it cannot come from people).
_MERGE_HOPS = 20


def merged_target(ticket_id: int) -> int:
    """The ticket a merged ticket's mail belongs to now (itself when it was never merged),
    following merges of merges."""
    param = database.obj.param
    seen = {ticket_id}
    current = ticket_id
    for _ in range(_MERGE_HOPS):
        row = database.execute_sql(f'SELECT "merged_into" FROM "ticket" WHERE "id" = {param}',
                                   [current]).fetchone()
        if row is None or row[0] is None or int(row[0]) in seen:
            return current
        current = int(row[0])
        seen.add(current)
    return current
