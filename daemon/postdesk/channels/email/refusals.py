"""Mail the SMTP/LMTP listeners refuse: one log line each, and a count for the metrics.

A refused mail never reaches the database, so without this nothing would say
that a customer's server was turned away: an unknown recipient (550), a mail
over `[smtp] max_message_size` (552), data with bare LF line ends (500 5.5.2,
refused against SMTP smuggling), too many recipients (452). Each refusal is
logged at WARNING with the reason, the client's address and the envelope as
far as it got (MAIL FROM, the recipients accepted so far; the refused
recipient is in the reply), and counted per listener and reason in this
process (`postdesk_smtp_refused_total{listener,reason}`: the listeners run in
`postdesk serve`, the process `/metrics` reads).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

log = logging.getLogger(__name__)

_counts: Counter[tuple[str, str]] = Counter()
_lock = threading.Lock()


def reason_of(reply: str) -> str | None:
    """The reason label of a refusing reply; None for a reply that refuses nothing."""
    code = reply[:3]
    if code == "550" and "5.1.1" in reply:
        return "unknown recipient"
    if code == "552":
        return "too big"
    if code == "500" and "bare LF" in reply:
        return "bare LF"
    if code == "452" and "4.5.3" in reply:
        return "too many recipients"
    if code.startswith("5"):
        return "refused"
    return None


def counts() -> dict[tuple[str, str], int]:
    """(listener, reason) -> refusals since this process started."""
    with _lock:
        return dict(_counts)


def _record(listener: str, reason: str, reply: str, peer: Any, mail_from: str | None,
            rcpt_to: list[str]) -> None:
    with _lock:
        _counts[(listener, reason)] += 1
    log.warning("refused mail (%s): %s", reason, reply.strip(),
                extra={"listener": listener, "client": _client(peer),
                       "mail_from": mail_from or "", "rcpt_to": ",".join(rcpt_to)})


def _client(peer: Any) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer or "")


#: The session attribute where a DATA handler leaves the envelope of a mail it refuses:
#: aiosmtpd starts a new envelope before it sends the DATA reply.
REFUSED_ENVELOPE = "refused_envelope"


class RefusalLog:
    """Mixin for aiosmtpd's SMTP/LMTP protocol classes: every refusing reply is logged and
    counted (after `BareLfReply` in the bases, so it sees the reply that is sent)."""

    listener_name = "smtp"

    async def push(self, status: Any) -> None:
        if isinstance(status, str):
            reason = reason_of(status)
            if reason is not None:
                session, envelope = getattr(self, "session", None), getattr(
                    self, "envelope", None)
                mail_from = getattr(envelope, "mail_from", None)
                rcpt_tos = list(getattr(envelope, "rcpt_tos", None) or ())
                if mail_from is None:  # a DATA reply: aiosmtpd reset the envelope before it
                    mail_from, rcpt_tos = getattr(session, REFUSED_ENVELOPE, (None, []))
                _record(self.listener_name, reason, status,
                        getattr(session, "peer", None), mail_from, rcpt_tos)
        await super().push(status)  # type: ignore[misc]
