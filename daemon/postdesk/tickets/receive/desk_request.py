"""Step `desk request`: an agent's `#queue NAME` / `#queues` mail to the plain support address.

Such a mail answers no ticket, so it has no signed reply address to vouch for
its sender: it counts only from an agent authenticated by DKIM or a trusted
Authentication-Results header, and only when its commands are those alone
(text below them is not read). The agent gets the digests; any other mail
goes on down the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.tickets.agent_mail import AgentLetter, answer_desk_request, desk_request
from postdesk.tickets.agents import AgentIdentity
from postdesk.tickets.commands import ParsedReply
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.customers import sender_customer
from postdesk.tickets.receive.known import Known
from postdesk.tickets.receive.step import Receiving, Step


@dataclass(frozen=True)
class AnswerDeskRequest:
    """Mail the agent the queue digests asked for."""

    identity: AgentIdentity
    reply: ParsedReply  # only #queue commands (an unknown queue as a problem)
    ticket_id: None = None

    def act(self, mail: Arrived, receiving: Receiving) -> Outcome:
        sender_customer(mail, receiving)  # every sender is on file, agents too
        letter = AgentLetter(self.identity, mail.parsed, "", mail.inbound_id,
                             mail.desk_address)
        result = answer_desk_request(letter, self.reply, receiving.runtime, receiving.now)
        return Outcome("done", outbox_ids=tuple(result.outbox_ids), reason=result.summary)


def take(mail: Arrived, known: Known) -> AnswerDeskRequest | None:
    decision = known.agent
    if decision is None or decision.identity is None or known.thread is not None:
        return None
    reply = desk_request(decision.identity, mail.parsed, known.runtime)
    return AnswerDeskRequest(decision.identity, reply) if reply is not None else None


DESK_REQUEST = Step("desk request", take)
