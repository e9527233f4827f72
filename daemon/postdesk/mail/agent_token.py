"""Signed sign-in links and session cookies of agents for the web's `/reports`.

A token is ``<address, base64url>.<expiry>.<signature>``, signed with the desk
secret for one purpose: a mailed sign-in link ("agent-link", short-lived) is
never a session and a session ("agent-session") is never a link, and neither
is valid as a customer's ticket-page token (purposes differ). A survey marker
("agent-csat-marker") only tells the satisfaction pages that the browser is an
agent's; it opens nothing. Whether the address is still an agent is the
caller's to check at each use. Pure.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from dataclasses import dataclass

from postdesk.mail.page_token import TokenRefused, sign

LINK = "agent-link"
SESSION = "agent-session"
CSAT_MARKER = "agent-csat-marker"
_TOKEN = re.compile(r"([A-Za-z0-9_-]{2,600})\.(\d{1,12})\.([A-Za-z0-9_-]{22,64})")


@dataclass(frozen=True)
class AgentToken:
    email: str
    expires: int  # seconds since the epoch


def make_agent_token(secret: str, token: AgentToken, purpose: str) -> str:
    address = base64.urlsafe_b64encode(token.email.encode()).decode("ascii").rstrip("=")
    body = f"{address}.{token.expires}"
    return f"{body}.{sign(secret, purpose, body)}"


def read_agent_token(secret: str, text: str, *, now: float, purpose: str) -> AgentToken:
    """The token `text` stands for; TokenRefused("forged") or ("expired") otherwise."""
    match = _TOKEN.fullmatch(text or "")
    if not match or not hmac.compare_digest(match[3], sign(secret, purpose,
                                                           text.rpartition(".")[0])):
        raise TokenRefused("forged")
    try:
        email = base64.urlsafe_b64decode(match[1] + "=" * (-len(match[1]) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise TokenRefused("forged") from None
    if int(match[2]) < now:
        raise TokenRefused("expired")
    return AgentToken(email, int(match[2]))
