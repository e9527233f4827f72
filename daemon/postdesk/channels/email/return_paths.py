"""The envelopes of one outbox row: with VERP (`[outgoing] verp`), one per recipient.

With VERP each recipient gets the mail in an SMTP transaction of its own, under
a return path that names the row and that recipient (`postdesk.mail.verp`), so
a bounce is attributed to them whatever it says. The row keeps one outcome:
sent when every recipient's transaction went, else the failure that matters
(one to retry first, then a refusal). A retry leaves out the recipients whose
transaction already went (the row's `delivered_to`), so nobody gets it twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from postdesk.channels.email.transports import Envelope, Result
from postdesk.errors import TemporaryFailure
from postdesk.mail.address import is_support_address
from postdesk.mail.verp import bounce_address


def envelopes(from_address: str, recipients: Sequence[str], outbox_id: int, *,
              verp: bool, secret: str, support_addresses: tuple[str, ...],
              delivered: Sequence[str] = ()) -> list[Envelope]:
    """One envelope for all `recipients` but those already `delivered` (by an earlier
    attempt), or with `verp` one per recipient under its own return path. A From that is
    not a support address (nothing would take its bounces) keeps the plain return path."""
    done = {address.lower() for address in delivered}
    recipients = [rcpt for rcpt in recipients if rcpt.lower() not in done]
    if not verp or not is_support_address(from_address, support_addresses):
        return [Envelope(mail_from=from_address, recipients=tuple(recipients))]
    return [Envelope(mail_from=bounce_address(from_address, outbox_id, rcpt, secret),
                     recipients=(rcpt,)) for rcpt in recipients]


def row_result(results: Sequence[Result]) -> Result:
    """The outcome of a row from those of its transactions."""
    failures = [r for r in results if isinstance(r, Exception)]
    if not failures:
        return ", ".join(dict.fromkeys(str(r) for r in results))
    retry = [f for f in failures if isinstance(f, TemporaryFailure)]
    return (retry or failures)[0]


def accepted(row_envelopes: Sequence[Envelope], results: Sequence[Result]) -> list[str]:
    """The recipients whose transaction went, in order."""
    return [rcpt for envelope, result in zip(row_envelopes, results, strict=True)
            if not isinstance(result, Exception) for rcpt in envelope.recipients]
