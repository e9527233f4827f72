"""Step `new ticket`: every mail the steps before did not take opens a ticket.

The ticket is routed (rules/routing.yaml: request type and team), the people
in To and Cc join it as participants, the mail is its first message, and the
rules hear `ticket.created` (the shipped ones acknowledge it and notify the
team). The knowledge base's best articles for it ride along in those mails
(`postdesk.tickets.kb_suggestions`); a ticket opened in chat that was offered articles
tells its agents only after its requester had a chance to read them
(`postdesk.tickets.chat_wait`). A mail that answered a ticket closed too
long ago to reopen opens a new ticket linked to the old one (`follow_up_of`).
A ticket alike to open ones is linked to them as a possible duplicate, with an
internal note, and the agents' notification says so (`tickets.duplicate_intake`).
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk import logs
from postdesk.store import fastsql
from postdesk.store.models import Ticket
from postdesk.tickets import service
from postdesk.tickets.automation import opened_facts, run_automations
from postdesk.tickets.chat_threads import chat_route, record_thread
from postdesk.tickets.chat_triage import post_to_triage
from postdesk.tickets.chat_wait import hold_agents
from postdesk.tickets.duplicate_intake import POSSIBLE_DUPLICATE_OF, check_new_ticket
from postdesk.tickets.kb_suggestions import suggest_for_ticket
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.customers import copied_customers, sender_customer
from postdesk.tickets.receive.known import Known
from postdesk.tickets.receive.step import Receiving, Step
from postdesk.tickets.receive.storing import (
    customer_trigger,
    note_refused_agent,
    refused_agent,
    store_mail,
)


@dataclass(frozen=True)
class OpenTicket:
    """Open a ticket with the mail as its first message."""

    follow_up_of: int | None = None  # the closed ticket the mail answered
    ticket_id: None = None  # not opened yet

    def act(self, mail: Arrived, receiving: Receiving) -> Outcome:
        customer = sender_customer(mail, receiving)
        now, work = receiving.now, receiving.work
        if self.follow_up_of is not None:
            old = receiving.known.ticket
            fastsql.known_related(old, Ticket.requester, customer)
            note_refused_agent(old, receiving)
        parsed = mail.parsed
        route = (chat_route(mail.chat) if mail.chat is not None else None) or \
            receiving.runtime.routing.route_chosen(mail.chosen_request_type, mail.rcpt_to,
                                                   parsed.subject, parsed.text)
        ticket = service.open_ticket(customer, parsed.subject, now=now,
                                     request_type=route.request_type if route else None,
                                     team=route.team if route else None, work=work)
        logs.bind(ticket=ticket.id)
        if mail.chat is not None:  # its thread is the ticket's from now on
            record_thread(ticket, mail.chat, now)
        if route is not None:
            service.record_event(ticket, "ticket.routed",
                                 {"request_type": route.request_type, "team": route.team,
                                  "route": route.where}, actor="system", now=now, work=work)
        service.add_participants(ticket, copied_customers(mail, receiving))
        first, _ = store_mail(ticket, mail, customer.email, "public", receiving)
        links = []
        if self.follow_up_of is not None:
            service.link_tickets(ticket, self.follow_up_of, "follow_up_of",
                                 actor=customer.email, now=now, work=work)
            links.append(("follow_up_of", self.follow_up_of))
        possible = check_new_ticket(ticket, receiving.known.duplicate_check, receiving.runtime,
                                    now, work)
        links += [(POSSIBLE_DUPLICATE_OF, found.ticket_id) for found in possible]
        verdict = mail.verdict
        trigger = customer_trigger("ticket.created", "customer", mail, stored=first,
                                   verified=not refused_agent(receiving))
        if possible:  # the agents' notification says so, in each agent's language
            trigger.message["possible_duplicates"] = [
                {"id": found.ticket_id, "percent": round(found.score * 100)}
                for found in possible]
        if verdict.may_auto_reply:  # no acknowledgment, nobody to offer articles to
            trigger.mail_context |= suggest_for_ticket(
                ticket, f"{parsed.subject}\n{parsed.text}", customer.language,
                receiving.runtime, now=now, work=work)
        outbox_ids = run_automations(ticket, trigger, receiving.runtime, now,
                                     facts=opened_facts(ticket, first, links), work=work)
        post_to_triage(ticket, first, receiving.runtime, now)  # the agents' chat channels
        if mail.chat is not None and trigger.mail_context.get("suggestions"):
            # the requester may solve it with an article first (`tickets.chat_wait`)
            hold_agents(ticket, outbox_ids, receiving.runtime.settings.kb.chat_wait_minutes,
                        now, work)
        return Outcome("done", ticket_id=ticket.id, outbox_ids=tuple(outbox_ids),
                       reason="" if verdict.may_auto_reply else verdict.reason)


def take(mail: Arrived, known: Known) -> OpenTicket:
    """Takes every mail; one still matched to a ticket here answered a closed one."""
    match = known.thread
    return OpenTicket(follow_up_of=match.ticket_id if match is not None else None)


NEW_TICKET = Step("new ticket", take)
