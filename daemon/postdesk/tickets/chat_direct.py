"""A customer who wrote by mail hears in chat too, when the desk enables it and knows them.

channels.yaml `notify_mail_requesters_in_chat` (off by default) names a platform and the
customer mails that count (an agent's public answer, a status change in customer terms,
optionally the acknowledgment). For such a mail to a customer of a ticket that did not
start in chat, when the customer's address is the verified email of a chat account the
desk has already seen on that platform (it opened a help thread there:
`chat_store.known_account`), a chat outbox row for a direct message to that account is
written beside the mail row, in the same transaction: the same template name and
context (customer-facing already: no internal note, no internal status name, with the
ticket page's link), rendered in the customer's language when it is sent. The mail is
sent all the same: email stays the spine. A display name never identifies anybody, and
an address made up for an account without a verified email (`@chat.invalid`) is never
looked up.
"""

from __future__ import annotations

from datetime import datetime

from postdesk.chat.channels import DirectNotices
from postdesk.chat.mapping import NO_EMAIL_DOMAIN
from postdesk.store import chat_store
from postdesk.store.models import Outbox, Ticket


def notify_in_chat(ticket: Ticket, row: Outbox, now: datetime,
                   notices: DirectNotices | None) -> int | None:
    """Queue a direct message standing for the mail `row`; its chat outbox id, or None
    when the desk does not notify this mail in chat or does not know the customer there."""
    if notices is None or row.kind not in notices.kinds:
        return None
    address = row.recipient.strip().lower()
    if "@" not in address or address.endswith("@" + NO_EMAIL_DOMAIN):
        return None
    account = chat_store.known_account(address, notices.platform)
    if account is None:
        return None
    return chat_store.queue_direct_post(account, ticket_id=ticket.id, kind=row.kind,
                                        context=dict(row.context), language=row.language,
                                        now=now)
