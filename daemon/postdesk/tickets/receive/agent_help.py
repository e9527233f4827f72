"""Step `agent help`: a known agent's address wrote to the desk without proof, about no ticket.

Without DKIM (the default) the plain support address cannot tell an agent
from someone forging the agent's From, so such a mail gets no agent's powers.
Opening a customer ticket for it would acknowledge the agent as a customer
and notify the whole team (issue 24: an agent who followed a digest's "send
#queue NAME to support@..." got exactly that). Instead nothing is opened and
the agent, at the agent's own address, gets the list of queues with a word on
why the mail did nothing and where to write: the agent's own signed desk
address, which the mail's Reply-To is. A forger learns nothing from it: the
answer goes to the real agent. The mail is kept (inbound `done`, its reason
in the log).
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.ticket_queues.digest import digest_mail
from postdesk.tickets import service
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.known import Known
from postdesk.tickets.receive.step import Receiving, Step
from postdesk.tickets.teams import Agent


@dataclass(frozen=True)
class TellTheAgentHow:
    """Answer the agent with how to write to the desk, opening nothing."""

    agent: Agent
    why: str
    ticket_id: None = None

    def act(self, mail: Arrived, receiving: Receiving) -> Outcome:
        letter = digest_mail(receiving.runtime, self.agent, None, receiving.now,
                             desk_address=mail.desk_address, refused=True)
        queued = service.queue_mail(None, letter, now=receiving.now)
        return Outcome("done", outbox_ids=(queued.id,),
                       reason=f"an agent's address without proof ({self.why}): told how, "
                              f"no ticket opened")


def take(mail: Arrived, known: Known) -> TellTheAgentHow | None:
    decision = known.agent
    if decision is None or decision.identity is not None or known.thread is not None:
        return None
    agent = known.runtime.teams.agent(mail.sender or "")
    return TellTheAgentHow(agent, decision.reason) if agent is not None else None


AGENT_HELP = Step("agent help", take)
