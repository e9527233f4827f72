"""Signed download links to the files the desk sends in a chat post (issue 20).

A bot cannot upload a file into a Teams channel, so the post links it instead: a link
on the desk's web server (`[web] base_url`) naming one attachment of one ticket, valid
for `[web] file_link_days` (`postdesk.mail.file_token`). Only files of the ticket's
public messages get one: an internal note's file never does, and the web server checks
the same again when the link is opened. Without `[web]` there are no links.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from postdesk.config.settings import Settings
from postdesk.mail.file_token import FileToken, file_url
from postdesk.store import ticket_page


def file_links(settings: Settings, ticket_id: int | None, attachment_ids: Sequence[int],
               now: datetime) -> dict[int, str]:
    """{attachment id: signed download link} for those of the attachments that belong to
    public messages of the ticket; {} when the desk has no web server."""
    if not settings.web.listen or ticket_id is None or not attachment_ids:
        return {}
    version = ticket_page.link_version(ticket_id)
    if version is None:
        return {}
    expires = int(now.timestamp()) + settings.web.file_link_days * 86400
    base, secret = settings.web.public_base(), settings.desk.secret
    return {attachment_id: file_url(base, secret, FileToken(ticket_id, attachment_id,
                                                            version, expires))
            for attachment_id in sorted(ticket_page.public_attachments(ticket_id,
                                                                       attachment_ids))}
