"""Who wrote a mail when its headers do not say: the envelope sender, else "unknown sender".

Parsing already falls back along From, Sender and Reply-To (see
`header_fields`). The envelope sender (SMTP MAIL FROM) is the last place a
person would look; a mail with none of these is still somebody's request, so
it is kept under one shared customer, ``UNKNOWN_SENDER``, whose address is in
the reserved ``.invalid`` domain (RFC 2606): nothing is ever delivered there,
and the mail is never acknowledged.
"""

from __future__ import annotations

from dataclasses import replace

from postdesk.mail.mailbox import as_address
from postdesk.mail.parsed import Address, ParsedMail

UNKNOWN_SENDER = Address(email="unknown-sender@postdesk.invalid", name="Unknown sender")
#: Why a mail under `UNKNOWN_SENDER` got no acknowledgment (recorded on its ticket).
NO_SENDER_ADDRESS = ("no sender address in From, Sender, Reply-To or the envelope:"
                     " nobody to acknowledge")


def with_sender(parsed: ParsedMail, envelope_from: str | None) -> ParsedMail:
    """``parsed`` with a sender: its own, the envelope sender's, or `UNKNOWN_SENDER`."""
    if parsed.sender is not None:
        return parsed
    envelope = as_address("", (envelope_from or "").strip().strip("<>"))
    if envelope is not None:
        return replace(parsed, sender=envelope, sender_source="envelope")
    return replace(parsed, sender=UNKNOWN_SENDER, sender_source="unknown")


def is_unknown_sender(parsed: ParsedMail) -> bool:
    return parsed.sender_source == "unknown"
