"""Step `agent reply`: an authenticated agent's mail to a ticket.

Its commands change the ticket and its text goes to the customer from the
support address, or stays an internal note (`postdesk.tickets.agent_mail`).
A known agent's address without proof of the agent (no signed reply address
of theirs, no DKIM pass) is not taken here: it goes on as a customer's mail.
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.tickets.agent_mail import AgentLetter, handle_agent_mail
from postdesk.tickets.agents import AgentIdentity
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.customers import sender_customer
from postdesk.tickets.receive.known import Known
from postdesk.tickets.receive.step import Receiving, Step
from postdesk.tickets.receive.storing import new_text


@dataclass(frozen=True)
class AnswerAsAgent:
    """Apply the agent's commands to the ticket and relay or keep the text."""

    ticket_id: int
    identity: AgentIdentity

    def act(self, mail: Arrived, receiving: Receiving) -> Outcome:
        sender_customer(mail, receiving)  # every sender is on file, agents too
        ticket = receiving.known.ticket
        letter = AgentLetter(self.identity, mail.parsed, new_text(mail.parsed, keep_closing=True),
                             mail.inbound_id, mail.desk_address)
        result = handle_agent_mail(ticket, letter, receiving.runtime, receiving.now, receiving.work)
        agent = self.identity.agent
        return Outcome("done", ticket_id=ticket.id, outbox_ids=tuple(result.outbox_ids),
                       reason=f"agent {agent.email} ({self.identity.method}): "
                              f"{result.summary}")


def take(mail: Arrived, known: Known) -> AnswerAsAgent | None:
    decision, match = known.agent, known.thread
    if decision is None or decision.identity is None or match is None:
        return None
    return AnswerAsAgent(match.ticket_id, decision.identity)


AGENT_REPLY = Step("agent reply", take)
