"""Tell the agents of a ticket about an internal note: its team and its assignee, not the
note's author. One place for an agent's `#note` and the operator's `postdesk ticket note`,
so both notes reach the same people with the same mail (`internal_note`, whose Reply-To is
each agent's note address: a reply stays internal)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from postdesk.config.runtime import Runtime
from postdesk.store.models import Ticket
from postdesk.tickets import service
from postdesk.tickets.automation import agent_request
from postdesk.tickets.mailing import build_mail


def tell_agents_of_note(ticket: Ticket, text: str, *, author_name: str, author_email: str,
                        runtime: Runtime, now: datetime, desk_address: str) -> list[int]:
    """Queue the note's notification for each agent of the ticket; the outbox ids."""
    team = ticket.team or next(iter(runtime.teams.team_names), "")
    agents = {a.email: a for a in runtime.teams.agents(team)}
    assignee = runtime.teams.agent(ticket.assignee) if ticket.assignee else None
    if assignee is not None:
        agents[assignee.email] = assignee
    agents.pop(author_email.lower(), None)
    queued = []
    for agent in agents.values():
        request = replace(agent_request("internal_note", agent,
                                        author={"name": author_name, "email": author_email},
                                        note={"text": text, "attachments": []}),
                          replies_internal=True)
        mail = build_mail(request, ticket, runtime, now=now, desk_address=desk_address)
        queued.append(service.queue_mail(ticket, mail, now=now).id)
    return queued
