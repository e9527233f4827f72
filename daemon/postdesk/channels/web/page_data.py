"""What the ticket page shows, read from the store for one session (runs in a thread)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from postdesk.config.runtime import Runtime
from postdesk.mail.page_token import PageToken, TokenRefused, check_version
from postdesk.store import ticket_page


@dataclass(frozen=True)
class PageView:
    context: dict[str, Any]
    language: str | None
    timezone: str | None


def check_current(token: PageToken) -> None:
    """TokenRefused("revoked") when the ticket's links were revoked since (or it is gone)."""
    version = ticket_page.link_version(token.ticket_id)
    if version is None:
        raise TokenRefused("revoked")
    check_version(token, version)


def page_view(token: PageToken, runtime: Runtime) -> PageView:
    """The page's facts, the session checked against the ticket's current link version."""
    ticket = ticket_page.page_ticket(token.ticket_id)
    if ticket is None:
        raise TokenRefused("revoked")
    check_version(token, ticket.link_version)
    statuses = runtime.statuses
    thread = [{"from_desk": m.from_desk, "author": m.author,
               "created_at": m.created_at, "text": m.text,
               "files": [{"id": f.id, "name": f.filename, "size": f.size} for f in m.files]}
              for m in ticket_page.public_thread(ticket.id)]
    context = {
        "ticket": {"id": ticket.id, "subject": ticket.subject,
                   "public_status": statuses.public_title(ticket.status),
                   "closed": statuses.kind(ticket.status) == "closed"},
        "thread": thread,
        # the survey link of the satisfaction issue goes here
        "survey_url": "",
    }
    return PageView(context=context, language=ticket.customer_language,
                    timezone=ticket.customer_timezone or runtime.settings.desk.timezone)


def reply_facts(token: PageToken) -> tuple[tuple[str, str], str]:
    """((email, name) of the token's customer, the ticket's subject)."""
    customer = ticket_page.customer_address(token.customer_id)
    ticket = ticket_page.page_ticket(token.ticket_id)
    if customer is None or ticket is None:
        raise TokenRefused("revoked")
    return customer, ticket.subject


def file_of(token: PageToken, attachment_id: int) -> tuple[str, str, bytes] | None:
    return ticket_page.public_file(token.ticket_id, attachment_id)


def attachment_disposition(filename: str) -> str:
    """Content-Disposition for a download: an ASCII fallback and the RFC 5987 name."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
                       for c in filename) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def stylesheet(colour: str) -> str:
    """The page's CSS with the desk's colour (validated as a hex colour at start)."""
    return _CSS.replace("BRAND", colour)


_CSS = """
body{margin:0;background:#f4f4f5;color:#1f2937;
font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;line-height:1.5}
main{max-width:720px;margin:16px auto;background:#fff;border-top:4px solid BRAND;
border-radius:4px;padding:16px 24px}
.desk{font-size:20px;font-weight:bold;color:BRAND}
.logo{max-height:40px;max-width:100%}
.header{color:#6b7280;font-size:14px;white-space:pre-wrap}
h1{font-size:22px;margin:16px 0 4px 0;overflow-wrap:anywhere}
.status{display:inline-block;background:BRAND;color:#fff;border-radius:12px;padding:2px 10px;
font-size:14px}
.notice{background:#ecfdf5;border:1px solid #a7f3d0;padding:8px 12px;border-radius:4px}
article{border-top:1px solid #e5e7eb;padding:12px 0}
article.desk-message{background:#f9fafb;padding:12px}
.meta{color:#6b7280;font-size:13px}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
textarea{width:100%;min-height:8em;box-sizing:border-box;font:inherit}
button{background:BRAND;color:#fff;border:0;border-radius:4px;padding:8px 16px;font:inherit;
cursor:pointer}
button.secondary{background:#fff;color:BRAND;border:1px solid BRAND}
.actions{display:flex;gap:8px;flex-wrap:wrap;margin-top:12px}
.ratings{border:0;padding:0;margin:16px 0;display:flex;gap:12px;flex-wrap:wrap;font-size:20px}
.ratings legend{font-size:16px;margin-bottom:8px}
"""
