"""Signed links to one file of one ticket: a chat post's download link (issue 20).

A platform that cannot carry a file the desk sends (a bot cannot upload into a Teams
channel) shows a link instead. The token names one attachment of one ticket, the
ticket's link version (`postdesk ticket revoke-links` revokes these links too) and an
expiry, signed with the desk secret for the purpose "file": a page link or a session
cookie is never a file link, nor the other way round. It is the page token's shape
and signature (`page_token.make_token` / `read_token`), with the attachment where a
page link names its customer. Pure: the caller supplies the secret and the clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.mail.page_token import PageToken, make_token, read_token

PURPOSE = "file"
#: where the desk's web server answers a file link
PATH_PREFIX = "/f/"


@dataclass(frozen=True)
class FileToken:
    ticket_id: int
    attachment_id: int
    version: int  # the ticket's link version when the link was made
    expires: int  # seconds since the epoch


def make_file_token(secret: str, token: FileToken) -> str:
    return make_token(secret, PageToken(token.ticket_id, token.attachment_id, token.version,
                                        token.expires), purpose=PURPOSE)


def read_file_token(secret: str, text: str, *, now: float) -> FileToken:
    """The file link `text` stands for; TokenRefused("forged") or ("expired") otherwise
    (the version is the caller's to compare with the ticket's)."""
    token = read_token(secret, text, now=now, purpose=PURPOSE)
    return FileToken(token.ticket_id, token.customer_id, token.version, token.expires)


def file_url(base: str, secret: str, token: FileToken) -> str:
    """The download link on the web server at `base` (no trailing slash)."""
    return f"{base}{PATH_PREFIX}{make_file_token(secret, token)}"
