"""The sender: render an outbox row in its recipient's locale, hand it to the transport.

A row is claimed with a lease (one conditional UPDATE), rendered once (the
bytes are stored, so a retry sends exactly the same mail with the same
Message-ID), sent, and marked sent; several rows go through these steps
together, with one synced commit for all their claims. A crash between sending and marking
leaves the lease to expire and the sweeper re-sends the same bytes; the
maildir transport replaces the same file, an SMTP relay sees the same
Message-ID. Temporary failures back off exponentially; permanent ones are
recorded on the row and as an event on the ticket.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from postdesk import logs
from postdesk.channels.email import return_paths
from postdesk.channels.email.relay_tls import RelayTls
from postdesk.channels.email.transports import (
    NotAttempted,
    Outgoing,
    PermanentFailure,
    Result,
    SmtpTransport,
    Transport,
    Undeliverable,
    transport_from_url,
)
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.errors import TemporaryFailure
from postdesk.mail.compose import OutgoingAttachment, OutgoingMail, compose
from postdesk.store import csat_store, outbox_delivery
from postdesk.store.attachment_files import attachment_files, blob_files
from postdesk.store.db import database, utcnow
from postdesk.store.models import Outbox
from postdesk.tickets import service
from postdesk.tickets.csat_scale import SURVEY_TEMPLATE
from postdesk.tickets.csat_survey import cancelled_by_reopening
from postdesk.tickets.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=2)


def send_outbox(outbox_id: int, runtime: Runtime, now: datetime | None = None) -> str:
    """Send one outbox row if it is due and nobody else holds it; return its new state.
    (`now` for tests of held mail; the sender reads the clock.)"""
    return send_many((outbox_id,), runtime, now)[outbox_id]


def send_many(outbox_ids: Sequence[int], runtime: Runtime,
              now: datetime | None = None) -> dict[int, str]:
    """Send the rows that are due and free, together; return each id's new state.

    Together means one synced commit claims them all, the transport takes them
    in one go (one folder sync, one relay connection), and one commit marks
    those that went. Each row still has its own outcome: one that cannot be
    rendered or is refused fails alone."""
    now = now or utcnow()
    states = dict.fromkeys(outbox_ids, "skipped")
    ready: list[tuple[Outbox, bytes]] = []
    rows = outbox_delivery.rows_to_claim(outbox_ids, now)
    for row in rows:
        with logs.log_context(outbox=row.id, ticket=row.ticket_id):
            if row.kind == SURVEY_TEMPLATE and cancelled_by_reopening(row, runtime):
                states[row.id] = "dropped"  # its ticket reopened while it was held
                continue
            try:
                ready.append((row, row.raw if row.raw is not None else render(row, runtime)))
            except Exception as exc:  # a template or config problem: keep the row, say why
                log.exception("outbox %s could not be rendered", row.id)
                states[row.id] = _give_up(row, f"{type(exc).__name__}: {exc}")
    lease = runtime.settings.outgoing.send_lease  # a claimed row is not handed out again before
    claimed = outbox_delivery.claim(ready, now, timedelta(seconds=lease))
    # what is not on its way well within the lease goes back, unsent, before the lease ends
    deadline = time.monotonic() + lease / 2
    results = _send(claimed, runtime, deadline)
    sent: list[tuple[Outbox, str]] = []
    for (row, _), (result, went_to) in zip(claimed, results, strict=True):
        if isinstance(result, str):
            sent.append((row, result))
            continue
        with logs.log_context(outbox=row.id, ticket=row.ticket_id):
            states[row.id] = _failed(row, result, runtime, went_to)
    _mark_sent(sent)
    states.update((row.id, "sent") for row, _ in sent)
    for row in rows:
        if states[row.id] != "skipped":
            with logs.log_context(outbox=row.id, ticket=row.ticket_id):
                log.info("outbox handled", extra={"state": states[row.id]})
    return states


def _send(claimed: Sequence[tuple[Outbox, bytes]], runtime: Runtime,
          deadline: float) -> list[tuple[Result, list[str]]]:
    """Each claimed row through the transport in one go; per row its result and the
    recipients whose transaction went in this attempt."""
    settings = runtime.settings
    # a maildir keeps no envelope: one file per row, whatever the return path
    verp = settings.outgoing.verp and not settings.outgoing_transport.startswith("maildir:")
    per_row = [(row, raw, return_paths.envelopes(
        row.headers["from_address"], (row.recipient, *row.headers.get("cc", ())), row.id,
        verp=verp, secret=settings.desk.secret,
        support_addresses=settings.desk.addresses,
        delivered=row.headers.get("delivered_to", ()))) for row, raw in claimed]
    results = iter(transport_of(settings).send_many(
        [Outgoing(raw, envelope, row.message_id)
         for row, raw, row_envelopes in per_row for envelope in row_envelopes], deadline))
    outcomes = []
    for _, _, row_envelopes in per_row:
        row_results = [next(results) for _ in row_envelopes]
        outcomes.append((return_paths.row_result(row_results),
                         return_paths.accepted(row_envelopes, row_results)))
    return outcomes


def transport_of(settings: Settings) -> Transport:
    """The transport `[outgoing]` names (a relay's is made per batch: it holds no
    connection between batches, only what the URL says; a maildir's once per process)."""
    if settings.outgoing_transport.startswith("maildir:"):
        return _maildir(settings.outgoing_transport)
    outgoing = settings.outgoing
    tls = RelayTls(mode=outgoing.starttls, verify=outgoing.tls_verify,
                   server_name=outgoing.tls_server_name, ca_file=outgoing.tls_ca_file)
    transport = transport_from_url(settings.outgoing_transport, starttls=outgoing.starttls,
                                   timeout=outgoing.timeout, tls=tls,
                                   helo_name=outgoing.helo_name or helo_default(settings))
    if isinstance(transport, SmtpTransport):
        _log_once(transport.describe())
    return transport


@cache
def _maildir(url: str) -> Transport:
    """The maildir transport of `url`, made once per process: making one clears the
    temporaries a killed process left, which lists the whole folder, one more file for
    every mail sent (0.5 ms of CPU per batch at 1,000 files, 5.5 ms at 10,000)."""
    return transport_from_url(url, starttls="off", timeout=0)


@cache
def _fqdn() -> str:
    return socket.getfqdn()


def helo_default(settings: Settings) -> str:
    """The name given in EHLO when `[outgoing] helo_name` is empty: the machine's fully
    qualified name, or the desk's domain when the machine has none (smtplib would say
    "[127.0.0.1]", which relays log and some refuse)."""
    fqdn = _fqdn()
    return fqdn if "." in fqdn else settings.desk.domain


@cache
def _log_once(description: str) -> None:
    """Say once per process how the relay is reached (the first batch, i.e. at start)."""
    log.info("outgoing %s", description)


def _failed(row: Outbox, error: Exception, runtime: Runtime,
            went_to: Sequence[str] = ()) -> str:
    """Record why the transport did not take a claimed row; its new state. `went_to`:
    the recipients whose transaction went all the same (a retry leaves them out)."""
    if isinstance(error, NotAttempted) and not went_to:
        return _release(row)
    if isinstance(error, TemporaryFailure | NotAttempted):
        return _retry_later(row, str(error), runtime, went_to)
    if isinstance(error, Undeliverable):
        return _give_up(row, str(error), state="undeliverable")
    if isinstance(error, PermanentFailure):
        return _give_up(row, str(error), relay=True)
    log.error("outbox %s could not be sent: %s: %s", row.id, type(error).__name__, error,
              exc_info=error)
    return _give_up(row, f"{type(error).__name__}: {error}")


def _release(row: Outbox) -> str:
    """Give back a claimed row that was never offered to the transport."""
    outbox_delivery.release(row.id)
    return "pending"


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
        attachments=_attachments(headers.get("attachments", ()), headers.get("files", ())),
        cc=tuple(headers.get("cc", ())),
    ))


def _attachments(ids: list[int], files: list[dict[str, str]]) -> list[OutgoingAttachment]:
    """The stored files a mail carries (an agent's attachments, relayed to the customer;
    a generated report, `send_report`)."""
    return [OutgoingAttachment(*stored)
            for stored in (*attachment_files(ids), *blob_files(files))]


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


def _retry_later(row: Outbox, error: str, runtime: Runtime,
                 went_to: Sequence[str] = ()) -> str:
    if row.attempts >= runtime.settings.outgoing.max_attempts:
        return _give_up(row, f"gave up after {row.attempts} attempts: {error}", relay=True)
    now = utcnow()
    delivered = [*row.headers.get("delivered_to", ()), *went_to]
    outbox_delivery.retry_at(row.id, now + backoff(row.attempts), error, now,
                             headers={**row.headers, "delivered_to": delivered}
                             if went_to else None)
    log.warning("outbox %s to %s deferred (attempt %s): %s", row.id, row.recipient,
                row.attempts, error)
    return "pending"


def _give_up(row: Outbox, error: str, state: str = "failed", *, relay: bool = False) -> str:
    """End the row in `state` with the reason, recorded on its ticket too; "undeliverable"
    (an address no mail can be written to) is not a failure health counts; `relay`: the
    relay's refusal (the last relay error)."""
    now = utcnow()
    with database.atomic():
        outbox_delivery.failed(row.id, error, state, relay_error_at=now if relay else None)
        if row.ticket_id is not None:
            service.record_event(row.ticket_id, "mail.failed",
                                 {"outbox": row.id, "to": row.recipient, "error": error[:500]},
                                 actor="system", now=now)
    if state == "failed":
        log.error("outbox %s to %s failed: %s", row.id, row.recipient, error)
    else:
        log.warning("outbox %s to %s %s: %s", row.id, row.recipient, state, error)
    return state


def _mark_sent(sent: list[tuple[Outbox, str]]) -> None:
    if not sent:
        return
    now = utcnow()
    with database.atomic(), UnitOfWork() as work:  # two statements for the batch
        outbox_delivery.sent([row.id for row, _ in sent], now)
        csat_store.mark_sent([row.id for row, _ in sent if row.kind == SURVEY_TEMPLATE], now)
        for row, _ in sent:
            if row.ticket_id is not None:
                service.record_event(row.ticket_id, "mail.sent",
                                     {"outbox": row.id, "kind": row.kind, "to": row.recipient},
                                     actor="system", now=now, work=work)
    for row, where in sent:
        log.debug("outbox %s sent to %s via %s", row.id, row.recipient, where)
