"""SMTP and LMTP intake: the listeners MTAs and customers' servers deliver to.

Operator notes:

* Recipients are checked at RCPT: a support address from ``[desk] addresses``
  (with or without a ``+detail``) is accepted (with ``[desk] catch_all = true``
  any address at the desk's domains), anything else gets ``550 5.1.1``.
  More than ``[smtp] max_recipients`` recipients get ``452 4.5.3``.
* ``SIZE`` is advertised and enforced (``552``) from ``[smtp] max_message_size``;
  idle connections are closed after ``[smtp] timeout`` seconds with
  ``421 4.4.2`` (``idle_timeout.py``); while a mail's data arrives, the timeout
  counts from its last byte, and a session cut off then keeps nothing of it
  (``cut_data.py``).
* A mail is answered ``250`` only after its raw bytes and envelope are
  committed to the database. If the database cannot be reached the answer is
  ``451 4.3.0`` and the sending MTA retries later. Nothing else happens here:
  parsing and tickets are the worker's job.
* Lines longer than RFC 5321's 1,000 octets are accepted up to the message size
  limit and stored as sent (``long_lines.py``), as Postfix does.
* Line ends must be CRLF (RFC 5321): a mail whose data has bare LF line ends
  and is longer than one SMTP line is refused with ``500 5.5.2`` and a reply
  that says so (``bare_lf.py``), not aiosmtpd's "Line too long".
* Every refusal is logged with its reason, the client and the envelope, and
  counted for the metrics (``refusals.py``).
* LMTP (``[lmtp] listen``) answers one line per accepted recipient, as RFC 2033
  requires; the mail is stored once for all of them.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from postdesk import memory_release
from postdesk.channels.email.bare_lf import BARE_LF_REPLY, BareLfReply, refuse_bare_lf
from postdesk.channels.email.cut_data import ReleaseCutData
from postdesk.channels.email.data_reader import BlockData
from postdesk.channels.email.envelope_address import QuickEnvelopeAddress
from postdesk.channels.email.idle_timeout import IdleTimeoutReply
from postdesk.channels.email.long_lines import LongDataLines
from postdesk.channels.email.refusals import REFUSED_ENVELOPE, RefusalLog
from postdesk.config.settings import Settings
from postdesk.config.validate import parse_listen
from postdesk.errors import RejectMessage, TemporaryFailure
from postdesk.mail.address import alias_map, is_support_address, public_recipient
from postdesk.mail.raw_message_id import message_id_of
from postdesk.store.inbound import Arrival

log = logging.getLogger(__name__)

ACCEPTED_RCPT = "250 2.1.5 OK"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"

Store = Callable[[Arrival], Awaitable[int]]


def check_recipient(address: str, settings: Settings) -> None:
    """Raise RejectMessage for an address this desk does not answer for."""
    if "@" not in address:
        raise RejectMessage(550, f"5.1.1 No such mailbox here: {address}")
    if settings.desk.aliases:  # an internal routing name (Postfix virtual_alias_maps)
        address = public_recipient(address, alias_map(settings.desk.aliases))
    if is_support_address(address, settings.desk.addresses):
        return
    domain = address.rpartition("@")[2].lower()
    desk_domains = {a.rpartition("@")[2].lower() for a in settings.desk.addresses}
    if not (settings.desk.catch_all and domain in desk_domains):
        raise RejectMessage(550, f"5.1.1 No such mailbox here: {address}")


class IntakeHandler:
    """aiosmtpd handler: accept known recipients, commit the mail, then say 250."""

    def __init__(self, settings: Settings, store: Store, *, source: str = "smtp") -> None:
        self.settings = settings
        self.store = store
        self.source = source

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if len(envelope.rcpt_tos) >= self.settings.smtp.max_recipients:
            return TOO_MANY_RECIPIENTS
        try:
            check_recipient(address, self.settings)
        except RejectMessage as exc:
            return exc.smtp_reply
        envelope.rcpt_tos.append(address)
        return ACCEPTED_RCPT

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if refuse_bare_lf(server, raw or b""):
            setattr(session, REFUSED_ENVELOPE, (envelope.mail_from, list(envelope.rcpt_tos)))
            return BARE_LF_REPLY
        arrival = Arrival(
            raw=raw or b"",
            mail_from=envelope.mail_from if envelope.mail_from != "<>" else "",
            rcpt_to=tuple(envelope.rcpt_tos),
            source=self.source,
            peer=_peer(session),
        )
        try:
            inbound_id = await self.store(arrival)
        except TemporaryFailure as exc:
            log.warning("451 to %s: %s", arrival.peer, exc)
            reply = try_again(exc)
        else:
            # one line per accepted mail, what Postfix operators grep for
            log.info("accepted inbound %s from %s: from=<%s> to=<%s> message-id=%s size=%d",
                     inbound_id, arrival.peer, arrival.mail_from or "",
                     ">,<".join(arrival.rcpt_to), message_id_of(arrival.raw) or "-",
                     len(arrival.raw))
            reply = f"250 2.0.0 OK queued as {inbound_id}"
        if len(arrival.raw) >= memory_release.GIVE_BACK_AFTER:
            del raw, arrival
            envelope.content = envelope.original_content = None
            # this process held the mail's bytes several times over while it stored them
            memory_release.give_back_soon()
        if self.source == "lmtp":
            return "\r\n".join(reply for _ in envelope.rcpt_tos)
        return reply


def try_again(exc: TemporaryFailure) -> str:
    """451 with the kind of trouble ("database unavailable"), so that the sending MTA's log
    says why; the details (which may name hosts) stay in our own log."""
    reason = _REPLY_UNSAFE.sub(" ", str(exc).partition(":")[0]).strip()[:80]
    return f"451 4.3.0 {reason or 'Temporary failure'}, please try again later"


_REPLY_UNSAFE = re.compile(r"[^\x20-\x7e]")


class DeskSMTP(QuickEnvelopeAddress, ReleaseCutData, IdleTimeoutReply, LongDataLines,
               BareLfReply, BlockData, RefusalLog, SMTP):
    """aiosmtpd's SMTP, with long data lines, a clear reply to bare LF line ends,
    refusals logged, a mail's data timed out by silence only and read in blocks."""


class DeskLMTP(QuickEnvelopeAddress, ReleaseCutData, IdleTimeoutReply, LongDataLines,
               BareLfReply, BlockData, RefusalLog, LMTP):
    """aiosmtpd's LMTP, with long data lines, a clear reply to bare LF line ends,
    refusals logged, a mail's data timed out by silence only and read in blocks."""

    listener_name = "lmtp"


def _peer(session: Session) -> str:
    peer = session.peer
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer or "")


async def start_listener(settings: Settings, store: Store, *, lmtp: bool = False,
                         sock: Any = None, track: Callable[[SMTP], SMTP] = lambda p: p
                         ) -> asyncio.base_events.Server:
    """Listen in the running loop (not aiosmtpd's Controller thread); on `sock` when given
    (a socket from systemd), each connection's protocol seen by `track` (graceful stop)."""
    listen = settings.lmtp.listen if lmtp else settings.smtp.listen
    host, port = parse_listen(listen)
    handler = IntakeHandler(settings, store, source="lmtp" if lmtp else "smtp")
    loop = asyncio.get_running_loop()
    protocol: type[SMTP] = DeskLMTP if lmtp else DeskSMTP
    options: dict[str, Any] = {
        "data_size_limit": settings.smtp.max_message_size,
        "enable_SMTPUTF8": True,
        "decode_data": False,
        "hostname": settings.desk.domain,
        "ident": "Postdesk",
        "timeout": settings.smtp.timeout,
        "loop": loop,
    }
    factory = lambda: track(protocol(handler, **options))  # noqa: E731
    if sock is not None:
        return await loop.create_server(factory, sock=sock)
    return await loop.create_server(factory, host=host, port=port)
