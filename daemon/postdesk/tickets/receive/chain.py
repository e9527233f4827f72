"""The way of one mail: the steps it passes, in order, until one takes it.

    loop                 mail of ours or a robot's in a loop: kept, ignored
    duplicate delivery   the same mail again (Message-ID and sender, or bytes): nothing new
    suspicious           the classifier failed on it: failed, bytes kept, never answered
    bounce               a delivery failure: address flagged, a note on its ticket
    no sender            no sender at all (the worker puts "unknown sender" in): failed
    auto-reply           out of office: kept on its ticket, changes nothing; else ignored
    desk request         an agent's #queue / #queues mail to the support address: digests
    agent reply          an authenticated agent's mail to a ticket: commands, the answer
    agent help           an agent's address without proof, about no ticket: told how, no ticket
    rating reply         the requester answers a closed ticket's survey with "4" or "🙂": rated
    follow-up            a customer or participant writes to an open ticket
    reopen               ... or to a recently closed one: back in progress
    repeat               the same words again from the same sender, its ticket open: nothing new
    new ticket           everything else (linked to the closed ticket it answered, if any;
                         linked to the open tickets it possibly duplicates)

Each step is a module beside this one: its `take` says on plain data whether
the mail is its own and what it decided, and the decision's `act` does the
writes through `tickets.service`, in the caller's transaction and unit of
work. The name of the step that took the mail comes back on the `Outcome`
(and into the log line of the processed mail).
"""

from __future__ import annotations

from dataclasses import replace

from postdesk import logs
from postdesk.tickets.receive.agent_help import AGENT_HELP
from postdesk.tickets.receive.agent_reply import AGENT_REPLY
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.auto_reply import AUTO_REPLY
from postdesk.tickets.receive.bounce import BOUNCE
from postdesk.tickets.receive.desk_request import DESK_REQUEST
from postdesk.tickets.receive.duplicate import DUPLICATE
from postdesk.tickets.receive.follow_up import FOLLOW_UP
from postdesk.tickets.receive.known import Known
from postdesk.tickets.receive.loop import LOOP
from postdesk.tickets.receive.new_ticket import NEW_TICKET
from postdesk.tickets.receive.no_sender import NO_SENDER
from postdesk.tickets.receive.rating_reply import RATING_REPLY
from postdesk.tickets.receive.reopen import REOPEN
from postdesk.tickets.receive.repeat import REPEAT
from postdesk.tickets.receive.step import Decision, Receiving, Settled, Step
from postdesk.tickets.receive.suspicious import SUSPICIOUS

STEPS: tuple[Step, ...] = (
    LOOP,
    DUPLICATE,
    SUSPICIOUS,
    BOUNCE,
    NO_SENDER,
    AUTO_REPLY,
    DESK_REQUEST,
    AGENT_REPLY,
    AGENT_HELP,
    RATING_REPLY,
    FOLLOW_UP,
    REOPEN,
    REPEAT,
    NEW_TICKET,
)


def decide(mail: Arrived, known: Known) -> tuple[Step, Decision]:
    """The first step that takes the mail, and its decision."""
    for step in STEPS:
        decision = step.take(mail, known)
        if decision is not None:
            return step, decision
    raise AssertionError("the last step of the chain takes every mail")


def receive(mail: Arrived, receiving: Receiving) -> Outcome:
    """Pass the mail down the chain and carry out what the step that takes it decided."""
    step, decision = decide(mail, receiving.known)
    logs.bind(ticket=decision.ticket_id)
    outcome = decision.act(mail, receiving)
    wrote = not isinstance(decision, Settled)  # its ticket's SLA clocks may have moved
    return replace(outcome, step=step.name,
                   changed_ticket=wrote and outcome.ticket_id is not None)
