"""GET /f/{token}: the download link of a file a chat post could not carry (issue 20).

A bot cannot upload into a Teams channel, so the post links the file
(`postdesk.tickets.file_links`). The link is the credential: signed for one attachment
of one ticket, until its expiry, revoked with the ticket's page links. It serves only
a file of a public message of that ticket (never an internal note's), as a download
with the page's security headers and no-store. A forged, expired or revoked link gets
the ticket page's refusal page (403, 410).
"""

from __future__ import annotations

from aiohttp import web

from postdesk.channels.web import page_data
from postdesk.channels.web.app import file_response, read_signed_link, refusal
from postdesk.mail.file_token import PATH_PREFIX, read_file_token
from postdesk.mail.page_token import TokenRefused


async def download_linked_file(request: web.Request) -> web.StreamResponse:
    try:
        found = await read_signed_link(request, read_file_token, page_data.linked_file)
    except TokenRefused as exc:
        return refusal(request, exc.reason)
    if found is None:
        return refusal(request, "missing")
    filename, _content_type, data = found
    return file_response(filename, data)


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH_PREFIX + "{token}", download_linked_file)
