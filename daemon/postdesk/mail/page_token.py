"""Signed links to a customer's ticket page: who may see which ticket, until when.

A token is ``<ticket>.<customer>.<version>.<expiry>.<signature>``: the signature is
an HMAC with the desk secret over the four numbers, so nobody can widen a link
to another ticket or stretch its life. `version` is the ticket's link version
(`postdesk ticket revoke-links` bumps it): a token of an older version is
revoked. Pure: the caller supplies the secret, the clock and the current version.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"(\d{1,12})\.(\d{1,12})\.(\d{1,9})\.(\d{1,12})\.([A-Za-z0-9_-]{22,64})")


class TokenRefused(Exception):
    """A token that opens nothing; `reason` is "forged", "expired" or "revoked"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PageToken:
    ticket_id: int
    customer_id: int
    version: int
    expires: int  # seconds since the epoch


def _sign(secret: str, purpose: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii").rstrip("=")


def make_token(secret: str, token: PageToken, *, purpose: str = "page") -> str:
    """The signed text of `token` (`purpose` keeps page links and session cookies apart)."""
    body = f"{token.ticket_id}.{token.customer_id}.{token.version}.{token.expires}"
    return f"{body}.{_sign(secret, purpose, body)}"


def read_token(secret: str, text: str, *, now: float, purpose: str = "page") -> PageToken:
    """The token `text` stands for; TokenRefused("forged") or ("expired") otherwise. The
    version is the caller's to compare with the ticket's."""
    match = _TOKEN.fullmatch(text or "")
    if not match:
        raise TokenRefused("forged")
    body = text.rpartition(".")[0]
    if not hmac.compare_digest(match[5], _sign(secret, purpose, body)):
        raise TokenRefused("forged")
    token = PageToken(int(match[1]), int(match[2]), int(match[3]), int(match[4]))
    if token.expires < now:
        raise TokenRefused("expired")
    return token


def check_version(token: PageToken, current_version: int) -> None:
    """TokenRefused("revoked") when the ticket's links were revoked after `token` was made."""
    if token.version != current_version:
        raise TokenRefused("revoked")


def csrf_token(secret: str, session: str) -> str:
    """The form token that goes with one session cookie (double submit, signed)."""
    return _sign(secret, "csrf", session)


def signature(secret: str, purpose: str, body: str) -> str:
    """The HMAC of `body` for `purpose`, as the tokens above carry it (other signed
    links of the desk, e.g. `csat_token`, sign the same way)."""
    return _sign(secret, purpose, body)
