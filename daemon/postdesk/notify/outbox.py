"""The sender: render an outbox row in its recipient's locale, hand it to the transport.

A row is claimed with a lease (one conditional UPDATE), rendered once (the
bytes are stored, so a retry sends exactly the same mail with the same
Message-ID), sent, and marked sent. A crash between sending and marking
leaves the lease to expire and the sweeper re-sends the same bytes; the
maildir transport replaces the same file, an SMTP relay sees the same
Message-ID. Temporary failures back off exponentially; permanent ones are
recorded on the row and as an event on the ticket.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import peewee

from postdesk import fastsql, logs
from postdesk.db import database, durable_atomic, utcnow
from postdesk.errors import TemporaryFailure
from postdesk.mail.compose import OutgoingAttachment, OutgoingMail, compose
from postdesk.models import Attachment, Blob, Outbox
from postdesk.notify.transports import Envelope, PermanentFailure
from postdesk.runtime import Runtime
from postdesk.tickets import service

log = logging.getLogger(__name__)

#: A claimed row is not handed out again until this has passed.
SEND_LEASE = timedelta(minutes=2)
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=2)


def send_outbox(outbox_id: int, runtime: Runtime, now: datetime | None = None) -> str:
    """Send one outbox row if it is due and nobody else holds it; return its new state.
    (`now` for tests of held mail; the sender reads the clock.)"""
    now = now or utcnow()
    row = fastsql.get_by(Outbox, Outbox.id, outbox_id)
    if row is None or not _may_claim(row, now):
        return "skipped"
    logs.bind(ticket=row.ticket_id)
    try:
        raw = row.raw if row.raw is not None else render(row, runtime)
    except Exception as exc:  # a template or config problem: keep the row, say why
        log.exception("outbox %s could not be rendered", outbox_id)
        return _give_up(row, f"{type(exc).__name__}: {exc}")
    if not _claim(row, raw, now):
        return "skipped"
    try:
        where = runtime.transport.send(
            raw, Envelope(mail_from=row.headers["from_address"], recipients=(row.recipient,)),
            row.message_id,
        )
    except TemporaryFailure as exc:
        return _retry_later(row, str(exc), runtime)
    except PermanentFailure as exc:
        return _give_up(row, str(exc))
    except (peewee.OperationalError, peewee.InterfaceError):
        raise  # the database is away: the lease expires and the sweeper retries
    except Exception as exc:
        log.exception("outbox %s could not be sent", outbox_id)
        return _give_up(row, f"{type(exc).__name__}: {exc}")
    _mark_sent(row, where)
    return "sent"


def _may_claim(row: Outbox, now: datetime) -> bool:
    if row.state == "pending":
        return bool(row.next_attempt_at <= now)
    return row.state == "sending" and row.lease_until is not None and row.lease_until < now


def _claim(row: Outbox, raw: bytes, now: datetime) -> bool:
    """Take the row (one conditional UPDATE) and store its rendered bytes with it.

    The commit is synced: everything that led to this mail (the ticket, the outbox
    row) is on disk before the mail leaves, so a power cut cannot make us decide
    and send it a second time."""
    p = database.obj.param
    at = Outbox.next_attempt_at.db_value(now)
    with durable_atomic():
        claimed = database.execute_sql(
            f'UPDATE "outbox" SET "state" = {p}, "lease_until" = {p}, '
            f'"attempts" = "attempts" + 1, "raw" = {p} WHERE "id" = {p} AND '
            f'(("state" = {p} AND "next_attempt_at" <= {p}) '
            f'OR ("state" = {p} AND "lease_until" < {p}))',
            ["sending", Outbox.lease_until.db_value(now + SEND_LEASE), Outbox.raw.db_value(raw),
             row.id, "pending", at, "sending", at]).rowcount
    row.attempts += 1
    return claimed == 1


def render(row: Outbox, runtime: Runtime) -> bytes:
    """The mail's bytes, rendered in the recipient's language and time zone."""
    rendered = runtime.renderer.render(
        row.kind, revive_datetimes(row.context), language=row.language, timezone=row.timezone
    )
    headers = row.headers
    extra = {name: value for name, value in headers.items()
             if name.startswith("X-") and isinstance(value, str)}
    extra["Content-Language"] = rendered.content_language
    return compose(OutgoingMail(
        sender_name=headers.get("from_name", ""),
        sender_address=headers["from_address"],
        recipient=row.recipient,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=row.message_id,
        date=row.not_before or row.created_at,  # a held mail is dated when it may go
        reply_to=headers.get("reply_to"),
        in_reply_to=headers.get("in_reply_to"),
        references=headers.get("references", ()),
        auto_submitted=headers.get("auto_submitted"),
        extra_headers=extra,
        attachments=_attachments(headers.get("attachments", ())),
    ))


def _attachments(ids: list[int]) -> list[OutgoingAttachment]:
    """The stored files a mail carries (an agent's attachments, relayed to the customer)."""
    if not ids:
        return []
    rows = (Attachment.select(Attachment, Blob).join(Blob)
            .where(Attachment.id.in_(ids)).order_by(Attachment.id))
    return [OutgoingAttachment(row.filename, row.content_type, row.blob.data) for row in rows]


def revive_datetimes(context: Mapping[str, Any]) -> dict[str, Any]:
    """JSON context back to template values: ISO strings under '*_at' keys (and
    'sla_due') become datetimes."""
    revived: dict[str, Any] = {}
    for key, value in context.items():
        kind = type(value)
        if kind in _JSON_SCALARS:  # most values; no Mapping check (an ABC, slow) for them
            pass
        elif kind is str or isinstance(value, str):
            if key.endswith("_at") or key == "sla_due":
                value = datetime.fromisoformat(value)
        elif kind is dict or isinstance(value, Mapping):
            value = revive_datetimes(value)
        elif isinstance(value, list):  # e.g. the tickets of a queue digest
            value = [revive_datetimes(item) if isinstance(item, Mapping) else item
                     for item in value]
        revived[key] = value
    return revived


_JSON_SCALARS = frozenset({int, float, bool, type(None)})


def backoff(attempts: int) -> timedelta:
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _retry_later(row: Outbox, error: str, runtime: Runtime) -> str:
    if row.attempts >= runtime.settings.outgoing.max_attempts:
        return _give_up(row, f"gave up after {row.attempts} attempts: {error}")
    now = utcnow()
    with database.atomic():
        (Outbox.update(state="pending", next_attempt_at=now + backoff(row.attempts),
                       lease_until=None, last_error=error[:2000])
         .where(Outbox.id == row.id).execute())
    log.warning("outbox %s to %s deferred (attempt %s): %s", row.id, row.recipient,
                row.attempts, error)
    return "pending"


def _give_up(row: Outbox, error: str) -> str:
    now = utcnow()
    with database.atomic():
        (Outbox.update(state="failed", lease_until=None, last_error=error[:2000])
         .where(Outbox.id == row.id).execute())
        if row.ticket_id is not None:
            service.record_event(row.ticket_id, "mail.failed",
                                 {"outbox": row.id, "to": row.recipient, "error": error[:500]},
                                 actor="system", now=now)
    log.error("outbox %s to %s failed: %s", row.id, row.recipient, error)
    return "failed"


def _mark_sent(row: Outbox, where: str) -> None:
    now = utcnow()
    with database.atomic():
        fastsql.update_by_id(Outbox, row.id, state="sent", sent_at=now, lease_until=None,
                             last_error="")
        if row.ticket_id is not None:
            service.record_event(row.ticket_id, "mail.sent",
                                 {"outbox": row.id, "kind": row.kind, "to": row.recipient},
                                 actor="system", now=now)
    log.debug("outbox %s sent to %s via %s", row.id, row.recipient, where)
