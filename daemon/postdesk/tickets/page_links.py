""""Send me a new link": a mail with fresh links to a customer's open tickets' pages.

Asked on the ticket page's `/link` form by whoever knows an address, so it
answers nobody: the page says the same for every address, and this mail goes
only to the address itself, only when it is a customer on file with open
tickets, and only through the automatic-mail brake (`[limits]
auto_replies_per_address`, RFC 3834 `Auto-Submitted`), like every automatic
mail. Returns the outbox id to dispatch, or None when nothing was sent.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from postdesk.config.runtime import Runtime
from postdesk.mail.compose import LOOP_HEADER, new_message_id
from postdesk.notify.ratelimit import automatic_mail_held_back
from postdesk.store import ticket_page
from postdesk.store.db import database
from postdesk.tickets import service
from postdesk.tickets.mailing import ticket_page_url

log = logging.getLogger(__name__)

TEMPLATE = "page_links"


def send_page_links(email: str, runtime: Runtime, now: datetime) -> int | None:
    """Queue the links mail for `email` if it is owed one (see the module docstring)."""
    settings = runtime.settings
    if not settings.web.listen:
        return None
    with database.connection_context(), database.atomic():
        customer, tickets = ticket_page.open_tickets_of(
            email, runtime.statuses.names_of_kind("closed"))
        if customer is None or not tickets:
            return None
        held = automatic_mail_held_back(customer.email, now, settings.limits)
        if held is not None:
            log.info("new page links for a customer not sent: %s", held)
            return None
        address = settings.desk.addresses[0]
        context = {
            "desk": {"name": settings.desk.name, "address": address},
            "customer": {"name": customer.name, "email": customer.email},
            "link_days": settings.web.link_days,
            "tickets": [{"id": t.id, "subject": t.subject,
                         "public_status": runtime.statuses.public_title(t.status),
                         "url": ticket_page_url(settings, t, customer, now)}
                        for t in tickets],
            "reply_marker": False,  # an answer to it is a new request, not a reply
        }
        mail = desk_mail(TEMPLATE, customer.email, customer.language, customer.timezone,
                         context, runtime, auto_submitted="auto-replied")
        return int(service.queue_mail(None, mail, now=now).id)


def desk_mail(kind: str, recipient: str, language: str | None, timezone: str | None,
              context: dict[str, Any], runtime: Runtime, *, auto_submitted: str
              ) -> service.MailToSend:
    """An automatic mail from the desk's first address about no one ticket (no thread)."""
    settings = runtime.settings
    address = settings.desk.addresses[0]
    return service.MailToSend(
        kind=kind, recipient=recipient, message_id=new_message_id(settings.desk.domain),
        language=language or settings.desk.default_language,
        timezone=timezone or settings.desk.timezone, context=context,
        headers={"from_name": settings.desk.name, "from_address": address,
                 "reply_to": address, "in_reply_to": None, "references": [],
                 "auto_submitted": auto_submitted,
                 LOOP_HEADER: runtime.identity.loop_value, "attachments": []},
        automatic=True)
