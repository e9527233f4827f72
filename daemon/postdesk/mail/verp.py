"""VERP: a return path per recipient, so a bounce names who failed even when it says nothing.

Each outgoing mail's envelope sender is the desk address it comes from with a
signed detail, ``support+bounce-<outbox>-<signature>@example.com``: the outbox
row (so its ticket) and an HMAC of row and recipient with the desk secret. A
remote server returns the failure to that address whatever it writes inside, so
the desk knows which recipient of which ticket failed from the address alone;
without the secret nobody can make an address that marks someone bouncing.
Postfix hands ``support+bounce-...`` to the desk like any ``support+...``
(``recipient_delimiter = +``). Lowercase, as MTAs may fold a local part's case.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

from postdesk.mail.address import signature, split_address

_DETAIL = re.compile(r"bounce-(?P<outbox>\d{1,12})-(?P<sig>[a-z2-7]{16})")


@dataclass(frozen=True)
class BounceToken:
    """A return path of ours as read from an address: not yet checked against its row."""

    outbox_id: int
    signature: str


def _signature(secret: str, outbox_id: int, recipient: str) -> str:
    return signature(secret, f"bounce:{outbox_id}:{recipient.strip().lower()}")


def bounce_address(from_address: str, outbox_id: int, recipient: str, secret: str) -> str:
    """The return path of outbox row `outbox_id` for `recipient`, on `from_address`."""
    base, _, domain = split_address(from_address)
    return f"{base}+bounce-{outbox_id}-{_signature(secret, outbox_id, recipient)}@{domain}"


def read_bounce_address(address: str, support_addresses: Iterable[str]) -> BounceToken | None:
    """The token of a return path of ours (`verified_recipient` checks it), or None."""
    base, detail, domain = split_address(address)
    if detail is None or f"{base}@{domain}" not in {a.lower() for a in support_addresses}:
        return None
    match = _DETAIL.fullmatch(detail)
    if match is None:
        return None
    return BounceToken(int(match["outbox"]), match["sig"])


def verified_recipient(token: BounceToken, recipients: Iterable[str], secret: str) -> str | None:
    """Which of the outbox row's `recipients` the token was made for; None: forged."""
    for recipient in recipients:
        if hmac.compare_digest(token.signature, _signature(secret, token.outbox_id, recipient)):
            return recipient
    return None
