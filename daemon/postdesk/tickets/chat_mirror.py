"""What a ticket started in chat says to its requester goes to the chat thread, not by mail.

`service.queue_mail` hands every outbox row here. When the row is a customer's mail
(acknowledgment, an agent's answer, a status change, a closing or reopening) to the
requester of a ticket that started in a help thread, a chat outbox row takes its place:
the same template name, context and language, rendered for the thread when it is sent
(`postdesk.notify.chat_posts`). The mail row is kept with state `chat`, so the record
of what the desk said stays in one place, and is never sent. An agent's answer typed in
the thread itself is not posted again (it is there already); one written with #public
in a triage thread is. The satisfaction survey (issue 22's `[csat]` mail) is not posted
either: the closing post in the thread already asks with its 1–5 buttons, so the survey
only counts as asked (`csat_survey.sent_at`). Mail to agents is not touched: they are
notified as for any ticket.
"""

from __future__ import annotations

from datetime import datetime

from postdesk.notify.audience import CUSTOMER_TEMPLATES
from postdesk.store import chat_lookups, chat_store, fastsql
from postdesk.store.models import Outbox, Ticket
from postdesk.tickets.csat_scale import SURVEY_TEMPLATE

#: the state of a mail row whose words went to the chat thread instead
IN_CHAT = "chat"


def divert_to_chat(ticket: Ticket, row: Outbox, now: datetime) -> bool:
    """Post `row` in the ticket's help thread instead of mailing it; True when it did."""
    if row.kind not in CUSTOMER_TEMPLATES:
        return False
    thread = chat_store.help_thread_of(ticket.id)
    if thread is None:
        return False
    requester = fastsql.related(ticket, Ticket.requester)
    if row.recipient.lower() != requester.email.lower():
        return False  # a participant by mail keeps getting mail
    asked_with_the_closing = row.kind == SURVEY_TEMPLATE  # counted by csat_survey.hold_survey
    typed_in_thread = (row.kind == "agent_reply" and
                       chat_lookups.newest_public_answer_thread(ticket.id)
                       == (thread.platform, thread.channel, thread.thread_root))
    if not (typed_in_thread or asked_with_the_closing):
        chat_store.queue_post(thread, kind=row.kind, context=dict(row.context),
                              language=row.language,
                              attachments=list(row.headers.get("attachments", [])), now=now)
    Outbox.update(state=IN_CHAT, dispatched_at=now).where(Outbox.id == row.id).execute()
    row.state = IN_CHAT
    return True
