"""The signed "this solved it" link: a token that names a ticket and cannot be forged.

`solved_token(secret, ticket_id)` goes into the link of the acknowledgment;
`read_solved_token` gives the ticket back only for a token the desk signed.
The token is purpose-bound (``solved:``), so a reply address's signature can
never stand in for it. What a request with it may do is decided by
`confirmation`: a GET (a person opening the link, or a link scanner following
it) only shows the confirmation page; only a POST (the page's button) resolves.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"(?P<ticket>[1-9][0-9]{0,17})-(?P<sig>[a-z2-7]{16})")


def _signature(secret: str, ticket_id: int) -> str:
    digest = hmac.new(secret.encode(), f"solved:{ticket_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode("ascii").lower()


def solved_token(secret: str, ticket_id: int) -> str:
    return f"{ticket_id}-{_signature(secret, ticket_id)}"


def read_solved_token(token: str, secret: str) -> int | None:
    """The ticket a token the desk signed names, else None."""
    match = _TOKEN.fullmatch(token.strip().lower())
    if match is None:
        return None
    ticket_id = int(match["ticket"])
    if not hmac.compare_digest(match["sig"], _signature(secret, ticket_id)):
        return None
    return ticket_id


@dataclass(frozen=True)
class Confirmation:
    """What a request on the link does: `resolve` only for a POST with a good token."""

    ticket_id: int | None
    resolve: bool
    page: str  # "confirm" (ask), "done" (resolved), "invalid" (bad or forged token)


def confirmation(token: str, method: str, secret: str) -> Confirmation:
    """The decision for one request on the solved link (the web page renders `page`)."""
    ticket_id = read_solved_token(token, secret)
    if ticket_id is None:
        return Confirmation(None, False, "invalid")
    if method.upper() == "POST":
        return Confirmation(ticket_id, True, "done")
    return Confirmation(ticket_id, False, "confirm")  # GET, HEAD...: a scanner changes nothing


def solved_link(base_url: str, secret: str, ticket_id: int) -> str:
    """The link in the acknowledgment: `[kb] solved_url` with `{token}` filled in."""
    token = solved_token(secret, ticket_id)
    return base_url.replace("{token}", token) if "{token}" in base_url else (
        base_url.rstrip("/") + "/" + token)
