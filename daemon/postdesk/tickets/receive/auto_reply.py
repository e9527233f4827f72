"""Step `auto-reply`: an out-of-office answer is kept for the agents and changes nothing.

An automatic reply (Auto-Submitted, X-Autoreply, the usual subjects) that
answers a ticket is stored there as an internal message: no status change,
no rules, no mail. One that answers no ticket is ignored: it must never open
one.
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.store import fastsql
from postdesk.store.models import Ticket
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.customers import sender_customer
from postdesk.tickets.receive.known import Known
from postdesk.tickets.receive.step import Receiving, Settled, Step
from postdesk.tickets.receive.storing import store_mail


@dataclass(frozen=True)
class KeepAutoReply:
    """Keep the automatic reply on the ticket it answers, for the agents only."""

    ticket_id: int

    def act(self, mail: Arrived, receiving: Receiving) -> Outcome:
        customer = sender_customer(mail, receiving)
        ticket = receiving.known.ticket
        fastsql.known_related(ticket, Ticket.requester, customer)
        store_mail(ticket, mail, customer.email, "internal", receiving, follow_up=True)
        return Outcome("done", ticket_id=ticket.id, reason=mail.verdict.reason)


def take(mail: Arrived, known: Known) -> KeepAutoReply | Settled | None:
    if mail.verdict.kind != "auto_reply":
        return None
    match = known.thread
    if match is None:
        return Settled(Outcome("ignored", reason=f"{mail.verdict.reason}; matches no ticket"))
    return KeepAutoReply(match.ticket_id)


AUTO_REPLY = Step("auto-reply", take)
