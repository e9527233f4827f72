"""A new ticket posted in the chat triage channels whose `if:` it matches (channels.yaml).

The post is a top-level message with the ticket's facts and first words; once it is
posted its thread is the ticket's triage thread (`chat_store.record_posted`). There an
agent's reply is an internal note, unless it starts with `#public` (then it answers the
customer, by mail or in their chat thread, wherever they are); commands work as in mail.
The conditions are those of queues, as of the moment the ticket opens (its SLA clocks
start after that: `sla_state` sees none yet). The ticket's SLA warnings and breaches
are posted in its triage threads too (`post_sla_crossing`, from the SLA scan). The post
follows the ticket: a change of its status, assignee, priority or team edits it
(`chat_store.follow_ticket`, from `tickets.service`), rapid changes coalesced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from postdesk.config.runtime import Runtime
from postdesk.store import chat_store, fastsql
from postdesk.store.models import Message, Ticket
from postdesk.store.queue_pages import ticket_in_queue


def post_to_triage(ticket: Ticket, first: Message, runtime: Runtime, now: datetime) -> None:
    for channel in runtime.channels.triage:
        if channel.condition is not None and not ticket_in_queue(channel.condition,
                                                                 ticket.id, now):
            continue
        requester = fastsql.related(ticket, Ticket.requester)
        context = {
            "ticket": {"id": ticket.id, "subject": ticket.subject,
                       **chat_store.triage_facts(ticket),
                       "request_type": ticket.request_type},
            "customer": {"name": requester.name, "email": requester.email},
            "message": {"text": first.text},
        }
        chat_store.queue_triage_post(platform=channel.platform,
                                     workspace=channel.workspace or "",
                                     channel=channel.channel, ticket_id=ticket.id,
                                     context=context,
                                     language=runtime.settings.desk.default_language, now=now)


def post_sla_crossing(ticket_id: int, sla: dict[str, Any], runtime: Runtime,
                      now: datetime) -> None:
    """An SLA warning or breach of the ticket (the `sla` of the sla_warning mail's context)
    in each triage thread the ticket has, where the agents working it look."""
    for thread in chat_store.triage_threads_of(ticket_id):
        chat_store.queue_post(thread, kind="sla_warning",
                              context={"ticket": {"id": ticket_id}, "sla": dict(sla)},
                              language=runtime.settings.desk.default_language,
                              attachments=[], now=now)
