"""What the ticket page shows, read from the store for one session (runs in a thread)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from postdesk.channels.web.sla_promise import answer_promise
from postdesk.config.runtime import Runtime
from postdesk.mail.file_token import FileToken
from postdesk.mail.page_token import PageToken, TokenRefused, check_version
from postdesk.store import ticket_page
from postdesk.store.db import utcnow
from postdesk.store.ticket_lookups import merged_target


@dataclass(frozen=True)
class PageView:
    context: dict[str, Any]
    language: str | None
    timezone: str | None


class MergedInto(Exception):
    """The session's ticket was merged: `token` opens the ticket it lives on in now."""

    def __init__(self, token: PageToken) -> None:
        super().__init__(token.ticket_id)
        self.token = token


def check_current(token: PageToken) -> None:
    """TokenRefused("revoked") when the ticket's links were revoked since (or it is gone)."""
    version = ticket_page.link_version(token.ticket_id)
    if version is None:
        raise TokenRefused("revoked")
    check_version(token, version)


def current_link(token: PageToken) -> PageToken:
    """The link itself, checked; for a merged ticket, a link (same customer, same expiry)
    to the ticket it was merged into, when the customer is one of that ticket's people
    (merging makes them a participant); TokenRefused("merged") otherwise."""
    check_current(token)
    target = merged_target(token.ticket_id)
    if target == token.ticket_id:
        return token
    version = ticket_page.link_version(target)
    if version is None or not ticket_page.is_member(target, token.customer_id):
        raise TokenRefused("merged")
    return replace(token, ticket_id=target, version=version)


def within_reopen_window(updated_at: datetime, now: datetime, reopen_days: int) -> bool:
    """Whether a closed ticket last changed at `updated_at` may still be reopened: the
    rule of mail (`tickets.receive.reopen`); later, the customer opens another request."""
    return now - updated_at <= timedelta(days=reopen_days)


def page_view(token: PageToken, runtime: Runtime) -> PageView:
    """The page's facts, the session checked against the ticket's current link version."""
    ticket = ticket_page.page_ticket(token.ticket_id)
    if ticket is None:
        raise TokenRefused("revoked")
    check_version(token, ticket.link_version)
    if ticket.merged_into is not None:
        raise MergedInto(current_link(token))
    statuses = runtime.statuses
    closed = statuses.kind(ticket.status) == "closed"
    thread = [{"from_desk": m.from_desk, "author": m.author,
               "created_at": m.created_at, "text": m.text,
               "files": [{"id": f.id, "name": f.filename, "size": f.size} for f in m.files]}
              for m in ticket_page.public_thread(ticket.id)]
    context = {
        "promise": _promise(ticket, thread, closed, runtime),
        "ticket": {"id": ticket.id, "subject": ticket.subject,
                   "public_status": statuses.public_title(ticket.status),
                   "closed": closed,
                   "reopenable": closed and within_reopen_window(
                       ticket.updated_at, utcnow(), runtime.settings.tickets.reopen_days)},
        "thread": thread,
        # the survey link of the satisfaction issue goes here
        "survey_url": "",
    }
    return PageView(context=context, language=ticket.customer_language,
                    timezone=ticket.customer_timezone or runtime.settings.desk.timezone)


def _promise(ticket: ticket_page.PageTicket, thread: list[dict[str, Any]], closed: bool,
             runtime: Runtime) -> dict[str, object] | None:
    """How soon we answer, when the desk promises it (`[web] sla_promise`)."""
    sla = runtime.sla
    if not runtime.settings.web.sla_promise or sla is None or closed or not thread:
        return None
    policy = sla.policy(ticket.sla_policy) if ticket.sla_policy else None
    promise = answer_promise(policy, ticket.priority,
                             closed=closed,
                             desk_answered=any(item["from_desk"] for item in thread),
                             awaiting_desk=not thread[-1]["from_desk"])
    return promise.as_context() if promise else None


def reply_facts(token: PageToken) -> tuple[tuple[str, str], str]:
    """((email, name) of the token's customer, the ticket's subject)."""
    customer = ticket_page.customer_address(token.customer_id)
    ticket = ticket_page.page_ticket(token.ticket_id)
    if customer is None or ticket is None:
        raise TokenRefused("revoked")
    return customer, ticket.subject


@dataclass(frozen=True)
class Visitor:
    """Who holds the session: their address and name, and the page's language and zone."""

    customer: tuple[str, str]
    language: str | None
    timezone: str | None


def visitor(token: PageToken, runtime: Runtime) -> Visitor:
    """The session's customer (checked against the ticket's link version)."""
    check_current(token)
    customer, _subject = reply_facts(token)
    ticket = ticket_page.page_ticket(token.ticket_id)
    assert ticket is not None  # reply_facts found it
    return Visitor(customer, ticket.customer_language,
                   ticket.customer_timezone or runtime.settings.desk.timezone)


def file_of(token: PageToken, attachment_id: int) -> tuple[str, str, bytes] | None:
    return ticket_page.public_file(token.ticket_id, attachment_id)


def linked_file(token: FileToken) -> tuple[str, str, bytes] | None:
    """The file a chat post's download link names: a file of a public message of its
    ticket (or of the ticket it was merged into, where its messages went) only;
    TokenRefused("revoked") when the ticket's links were revoked since."""
    if ticket_page.link_version(token.ticket_id) != token.version:
        raise TokenRefused("revoked")
    return ticket_page.public_file(merged_target(token.ticket_id), token.attachment_id)


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
.promise{color:#374151;border-left:4px solid BRAND;padding:2px 10px}
article{border-top:1px solid #e5e7eb;padding:12px 0}
article.desk-message{background:#f9fafb;padding:12px}
.meta{color:#6b7280;font-size:13px}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
textarea{width:100%;min-height:8em;box-sizing:border-box;font:inherit}
button{background:BRAND;color:#fff;border:0;border-radius:4px;padding:8px 16px;font:inherit;
cursor:pointer}
button.secondary{background:#fff;color:BRAND;border:1px solid BRAND}
.actions{display:flex;gap:8px;flex-wrap:wrap;margin-top:12px}
.problem{background:#fef2f2;border-color:#fecaca}
.types{border:0;padding:0;margin:12px 0;display:grid;gap:8px;
grid-template-columns:repeat(auto-fill,minmax(200px,1fr))}
.types legend{margin-bottom:8px}
.type{display:flex;align-items:center;gap:10px;border:1px solid #d1d5db;border-radius:6px;
padding:10px 12px;cursor:pointer}
.type:has(input:checked){border-color:BRAND;background:#f9fafb}
.icon{color:BRAND;flex:none}
input[type=text]{width:100%;box-sizing:border-box;font:inherit;padding:6px}
.more{margin-top:24px;border-top:1px solid #e5e7eb;padding-top:12px}
.ratings{border:0;padding:0;margin:16px 0;display:flex;gap:12px;flex-wrap:wrap;font-size:20px}
.ratings legend{font-size:16px;margin-bottom:8px}
"""
