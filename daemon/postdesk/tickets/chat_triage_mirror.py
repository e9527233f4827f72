"""A customer's later message, shown in the ticket's triage threads where agents work.

The triage post carries the ticket's first words; what the customer writes afterwards
(by mail, in their chat thread, on the ticket page) is posted in each triage thread of
the ticket too, with the "Reply to customer" button (`chat.reply_to_customer`): the
agent reading it there can answer publicly from the thread. Called by
`tickets.service.add_message` for every public incoming message, in its transaction.
"""

from __future__ import annotations

from datetime import datetime

from postdesk.store import chat_store
from postdesk.store.models import Message

#: the chat outbox kind of a customer's message posted in a triage thread
CUSTOMER_MESSAGE = "customer_message"
#: a longer message is cut here in the thread (the whole of it is on the ticket)
MAX_TEXT = 2500


def mirror_customer_message(ticket_id: int, message: Message, now: datetime) -> None:
    for thread in chat_store.triage_threads_of(ticket_id):
        text = message.text if len(message.text) <= MAX_TEXT \
            else message.text[:MAX_TEXT].rstrip() + " …"
        chat_store.queue_post(thread, kind=CUSTOMER_MESSAGE,
                              context={"ticket": {"id": ticket_id},
                                       "customer": {"name": message.author_name,
                                                    "email": message.author_email},
                                       "message": {"text": text}},
                              language=None, attachments=[], now=now)
