"""Signed one-click rating links of a satisfaction survey. Pure.

A token is ``<ticket>.<customer>.<resolution>.<rating>.<expiry>.<signature>``,
an HMAC with the desk secret (purpose ``csat``, so a page link or a session
cookie is never a rating link), so nobody can rate another ticket, another
resolution or stretch the link's life. The rating in the link is only what
the confirmation page offers first: the page's POST says what is recorded.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from postdesk.mail.page_token import TokenRefused, sign

_TOKEN = re.compile(r"(\d{1,12})\.(\d{1,12})\.(\d{1,6})\.(\d{1,2})\.(\d{1,12})\."
                    r"([A-Za-z0-9_-]{22,64})")
_PURPOSE = "csat"


@dataclass(frozen=True)
class RatingLink:
    ticket_id: int
    customer_id: int
    resolution: int
    rating: int
    expires: int  # seconds since the epoch


def make_rating_token(secret: str, link: RatingLink) -> str:
    body = (f"{link.ticket_id}.{link.customer_id}.{link.resolution}.{link.rating}."
            f"{link.expires}")
    return f"{body}.{sign(secret, _PURPOSE, body)}"


def read_rating_token(secret: str, text: str, *, now: float) -> RatingLink:
    """The link `text` stands for; TokenRefused("forged") or ("expired") otherwise."""
    match = _TOKEN.fullmatch(text or "")
    if not match:
        raise TokenRefused("forged")
    body = text.rpartition(".")[0]
    if not hmac.compare_digest(match[6], sign(secret, _PURPOSE, body)):
        raise TokenRefused("forged")
    link = RatingLink(*(int(match[n]) for n in range(1, 6)))
    if link.expires < now:
        raise TokenRefused("expired")
    return link
