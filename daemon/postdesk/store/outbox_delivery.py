"""Delivery state of outbox rows: who may send a row, the claim, and what became of it.

A row is `pending` (due at `next_attempt_at`), `sending` (claimed until
`lease_until`), `sent` or `failed`. The sender claims a row with ONE
conditional UPDATE, so of two workers holding the same id exactly one sends
it; the bytes it renders are stored in the same statement, so every retry
sends the same mail. A claim whose lease ran out (a crashed sender) may be
taken again. Every statement on these columns is here, so the rule that
decides who may claim a row is written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from postdesk.store import fastsql
from postdesk.store.db import database, durable_atomic, utcnow
from postdesk.store.models import Outbox

#: The longest error text kept on a row.
MAX_ERROR = 2000


def may_claim(row: Outbox, now: datetime) -> bool:
    """Whether `row` may be claimed at `now`: pending and due, or sending on a lease that
    ran out (the same rule as the UPDATE of `claim`)."""
    if row.state == "pending":
        return bool(row.next_attempt_at <= now)
    return row.state == "sending" and row.lease_until is not None and row.lease_until < now


def rows_to_claim(outbox_ids: Sequence[int], now: datetime) -> list[Outbox]:
    """The rows among `outbox_ids` that may be claimed now, in id order (one SELECT)."""
    rows = sorted(fastsql.rows_by(Outbox, Outbox.id, outbox_ids), key=lambda row: row.id)
    return [row for row in rows if may_claim(row, now)]


def claim(ready: Sequence[tuple[Outbox, bytes]], now: datetime, lease: timedelta
          ) -> list[tuple[Outbox, bytes]]:
    """Take the rows (one conditional UPDATE each) and store their rendered bytes with
    them; the rows this process now holds, their `attempts` counted.

    The commit is synced: everything that led to these mails (the tickets, the
    outbox rows) is on disk before they leave, so a power cut cannot make us
    decide and send them a second time."""
    if not ready:
        return []
    p = database.obj.param
    at = Outbox.next_attempt_at.db_value(now)
    lease_until = Outbox.lease_until.db_value(now + lease)
    claimed = []
    with durable_atomic():
        for row, raw in ready:
            taken = database.execute_sql(
                f'UPDATE "outbox" SET "state" = {p}, "lease_until" = {p}, '
                f'"attempts" = "attempts" + 1, "raw" = {p} WHERE "id" = {p} AND '
                f'(("state" = {p} AND "next_attempt_at" <= {p}) '
                f'OR ("state" = {p} AND "lease_until" < {p}))',
                ["sending", lease_until, Outbox.raw.db_value(raw),
                 row.id, "pending", at, "sending", at]).rowcount
            if taken == 1:
                row.attempts += 1
                claimed.append((row, raw))
    return claimed


def release(row_id: int) -> None:
    """Give back a claimed row that was never offered to the transport: due at once,
    the attempt not counted (own transaction)."""
    with database.atomic():
        (Outbox.update(state="pending", lease_until=None, next_attempt_at=utcnow(),
                       attempts=Outbox.attempts - 1)
         .where((Outbox.id == row_id) & (Outbox.state == "sending")).execute())


def retry_at(row_id: int, at: datetime, error: str, now: datetime, *,
             headers: dict[str, Any] | None = None) -> None:
    """Back to pending until `at`, with the reason of this failure at `now` and, when
    given, the row's new `headers` (own transaction)."""
    with database.atomic():
        (Outbox.update(state="pending", next_attempt_at=at, lease_until=None,
                       last_error=error[:MAX_ERROR], last_error_at=now,
                       **({"headers": headers} if headers is not None else {}))
         .where(Outbox.id == row_id).execute())


def failed(row_id: int, error: str, state: str = "failed", *,
           relay_error_at: datetime | None = None) -> None:
    """Given up for good, with the reason (in the caller's transaction, which records the
    ticket's event beside it); `state` "undeliverable" for an address no mail can be
    written to; `relay_error_at`: the relay's refusal, and when (the last relay error)."""
    (Outbox.update(state=state, lease_until=None, last_error=error[:MAX_ERROR],
                   **({"last_error_at": relay_error_at} if relay_error_at else {}))
     .where(Outbox.id == row_id).execute())


def sent(row_ids: Sequence[int], now: datetime) -> None:
    """Mark these rows sent at `now`, in one statement (in the caller's transaction, which
    records the tickets' events beside it)."""
    if not row_ids:
        return
    p = database.obj.param
    database.execute_sql(
        f'UPDATE "outbox" SET "state" = {p}, "sent_at" = {p}, "lease_until" = NULL, '
        f'"last_error" = {p} WHERE "id" IN ({fastsql.placeholders(len(row_ids))})',
        ["sent", Outbox.sent_at.db_value(now), "", *row_ids])


def release_all_sending() -> int:
    """Every `sending` row back to pending, lease dropped: for a single-node desk at
    start-up, where nobody else can be sending; how many (own transaction)."""
    with database.atomic():
        return int(Outbox.update(state="pending", lease_until=None)
                   .where(Outbox.state == "sending").execute())
