"""Step `follow-up`: a customer's (or participant's) mail to a ticket that is still open.

The new text (quoted history stripped) joins the ticket as a public message,
with the full body kept, and the rules hear `message.received` from the
customer or a participant (and `status.changed` when the mail reopened a
closed ticket, step `reopen`). Follow-ups are not acknowledged unless a rule says so.
The requester's "solved" after the desk suggested articles resolves the ticket
as self-served (`postdesk.tickets.self_service`); anything else the requester writes
in a chat thread whose agents' notification still waits sends it now
(`postdesk.tickets.chat_wait`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from postdesk.mail.solved import says_solved
from postdesk.store import fastsql, ticket_lookups
from postdesk.store.models import Ticket
from postdesk.tickets import service
from postdesk.tickets.automation import run_automations
from postdesk.tickets.chat_wait import release_agents
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.customers import sender_customer
from postdesk.tickets.receive.known import Known
from postdesk.tickets.receive.step import Receiving, Step
from postdesk.tickets.receive.storing import (
    customer_trigger,
    note_refused_agent,
    refused_agent,
    store_mail,
)
from postdesk.tickets.self_service import resolve_self_served
from postdesk.tickets.statuses import REOPENED_STATUS


@dataclass(frozen=True)
class JoinTicket:
    """Add the mail to the ticket it answers (`how`: the way it was found); `reopen` a
    closed ticket too."""

    ticket_id: int
    how: str
    reopen: bool = False

    def act(self, mail: Arrived, receiving: Receiving) -> Outcome:
        customer = sender_customer(mail, receiving)
        ticket = receiving.known.ticket
        fastsql.known_related(ticket, Ticket.requester, customer)  # when they wrote it
        # someone on the ticket (requester or participant) is who agents know; anyone
        # else, or an agent's address without proof, is announced as unverified
        on_ticket = (customer.id == ticket.requester_id
                     or customer.email in ticket_lookups.participant_emails(ticket.id))
        note_refused_agent(ticket, receiving)
        stored, shown = store_mail(ticket, mail, customer.email, "public", receiving,
                                   follow_up=True)
        closed_status = ticket.status
        reopened = self.reopen and service.set_status(
            ticket, REOPENED_STATUS, actor=customer.email, now=receiving.now,
            reason="the customer wrote again", work=receiving.work)
        role = "customer" if customer.id == ticket.requester_id else "participant"
        outbox_ids = run_automations(
            ticket, customer_trigger("message.received", role, mail, text=stored.text,
                                     stored=stored, whole=shown.whole,
                                     verified=on_ticket and not refused_agent(receiving)),
            receiving.runtime, receiving.now, work=receiving.work)
        if reopened:  # the rules hear of the reopening too (the customer is told, rule 3c)
            trigger = customer_trigger("status.changed", role, mail, text=stored.text,
                                       stored=stored)
            trigger.event = replace(trigger.event, old=closed_status, new=REOPENED_STATUS)
            trigger.outbox_ids = outbox_ids
            outbox_ids = run_automations(ticket, trigger, receiving.runtime, receiving.now,
                                         work=receiving.work)
        phrase = says_solved(stored.text) if role == "customer" and not self.reopen else None
        solved = phrase is not None and not refused_agent(receiving) and resolve_self_served(
            ticket, actor=customer.email, how="reply", phrase=phrase,
            runtime=receiving.runtime, now=receiving.now, work=receiving.work,
            desk_address=mail.desk_address, outbox_ids=outbox_ids)
        if not solved and role == "customer" and mail.chat is not None:
            # the requester wrote on in the thread instead: the agents hear now
            outbox_ids += release_agents(ticket, "reply", actor=customer.email,
                                         now=receiving.now, work=receiving.work)
        return Outcome("done", ticket_id=ticket.id, outbox_ids=tuple(outbox_ids),
                       reason=f"follow-up in the {mail.chat.platform} thread"
                       if mail.chat is not None else f"follow-up by {self.how}")


def is_closed(ticket: Ticket, known: Known) -> bool:
    return known.runtime.statuses.kind(ticket.status) == "closed"


def take(mail: Arrived, known: Known) -> JoinTicket | None:
    match = known.thread
    if match is None or is_closed(known.ticket, known):
        return None
    return JoinTicket(match.ticket_id, match.how)


FOLLOW_UP = Step("follow-up", take)
