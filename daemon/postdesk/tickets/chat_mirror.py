"""What a ticket started in chat says to its requester goes to the chat thread, not by mail.

`service.queue_mail` hands every outbox row here. When the row is a customer's mail
(acknowledgment, an agent's answer, a status change, a closing or reopening) to the
requester of a ticket that started in a help thread, a chat outbox row takes its place:
the same template name, context and language, rendered for the thread when it is sent
(`postdesk.notify.chat_posts`). The mail row is kept with state `chat`, so the record
of what the desk said stays in one place, and is never sent. An agent's answer typed in
the thread itself is not posted again (it is there already); one written with #public
in a triage thread is. The satisfaction survey (issue 22's `[csat]` mail) is not posted
either: the closing post in the thread asks with its 1–5 buttons instead, so the survey
only counts as asked (`csat_survey.sent_at`). The closing post asks only when the desk
decided to ask (a survey row diverted here in the same change, `ASKS_RATING`; the rules
may queue the survey before or after the closing): a resolution the desk does not ask
about (self-served, `[csat] enabled = false`, an agent's own ticket, ...) gets no
question in chat either. Mail to agents is not touched: they are notified as for any
ticket.

After a silence (channels.yaml `mail_after_silence_hours`, off by default): a requester
who has written nothing in the chat for that long may have left it, so the mail is sent
as well as posted, to the account's verified email (an account without one, known as
`...@chat.invalid`, has no mail box and stays chat only).

A ticket that did not start in chat keeps its mail; a customer known in chat may get a
direct message beside it (`tickets.chat_direct`, channels.yaml
`notify_mail_requesters_in_chat`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from postdesk.chat.channels import DirectNotices
from postdesk.chat.mapping import NO_EMAIL_DOMAIN
from postdesk.notify.audience import CUSTOMER_TEMPLATES
from postdesk.notify.chat_posts import ASKS_RATING, is_closing
from postdesk.store import chat_lookups, chat_store, fastsql
from postdesk.store.chat_store import ChatThread
from postdesk.store.models import Outbox, Ticket
from postdesk.tickets.chat_direct import notify_in_chat
from postdesk.tickets.csat_scale import SURVEY_TEMPLATE

#: the state of a mail row whose words went to the chat thread instead
IN_CHAT = "chat"


def divert_to_chat(ticket: Ticket, row: Outbox, now: datetime, *,
                   mail_after_silence: timedelta | None = None,
                   direct_notices: DirectNotices | None = None) -> bool:
    """Post `row` in the ticket's help thread instead of mailing it; True when it did
    (False: the mail goes out, after a silence in chat also posted, or for a ticket that
    did not start in chat with a direct message beside it when `direct_notices` say so)."""
    if row.kind not in CUSTOMER_TEMPLATES:
        return False
    thread = chat_store.help_thread_of(ticket.id)
    if thread is None:
        notify_in_chat(ticket, row, now, direct_notices)
        return False
    requester = fastsql.related(ticket, Ticket.requester)
    if row.recipient.lower() != requester.email.lower():
        return False  # a participant by mail keeps getting mail
    asked_with_the_closing = row.kind == SURVEY_TEMPLATE  # counted by csat_survey.hold_survey
    typed_in_thread = (row.kind == "agent_reply" and
                       chat_lookups.newest_public_answer_thread(ticket.id)
                       == (thread.platform, thread.channel, thread.thread_root))
    if asked_with_the_closing:  # the closing queued in this change asks, if queued already
        chat_store.mark_posts_of_the_moment(ticket.id, now, {ASKS_RATING: True})
    elif not typed_in_thread:
        context = dict(row.context)
        if is_closing(row.kind, context) and _survey_diverted_at(ticket.id, now):
            # the survey came first in this change
            context[ASKS_RATING] = True
        chat_store.queue_post(thread, kind=row.kind, context=context,
                              language=row.language,
                              attachments=list(row.headers.get("attachments", [])), now=now)
    if (mail_after_silence is not None and not asked_with_the_closing
            and _silent(ticket.id, requester.email, thread, now - mail_after_silence)):
        return False  # mailed as well
    fastsql.update_by_id(Outbox, row.id, state=IN_CHAT, dispatched_at=now)
    row.state = IN_CHAT
    return True


def _survey_diverted_at(ticket_id: int, now: datetime) -> bool:
    """Whether this change (the moment `now`) asked the requester for a rating in chat."""
    return Outbox.select(Outbox.id).where(
        (Outbox.ticket == ticket_id) & (Outbox.kind == SURVEY_TEMPLATE)
        & (Outbox.state == IN_CHAT) & (Outbox.created_at == now)).exists()


def _silent(ticket_id: int, email: str, thread: ChatThread, since: datetime) -> bool:
    """Whether a requester with a mail box has written nothing in the chat since `since`."""
    if email.lower().endswith("@" + NO_EMAIL_DOMAIN):
        return False
    spoke = chat_lookups.last_chat_message_at(ticket_id, email, thread.platform)
    return spoke is None or spoke < since
