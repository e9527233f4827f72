"""`postdesk rules test FILE.eml`: a mail through the worker's own chain, nothing kept.

The mail is stored as an inbound row, read (`read_mail`) and handed to the
receive chain exactly as the worker does it (routing to a team, an agent's
`#status` lines, the rules and the chains they start, the mail that would go
out), all inside one transaction that is then rolled back: the database is
left as it was, and no mail is sent (outbox rows are only dispatched after a
commit). What the chain wrote is read back before the rollback and returned
as plain data for the terminal.

`as_agent`: the mail counts as written by the agent of its From address, as
if it had come with the agent's proof (signed reply address or DKIM), which a
file on disk cannot carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from postdesk.config.runtime import Runtime
from postdesk.store.db import database, utcnow
from postdesk.store.inbound import Arrival
from postdesk.store.ticket_reads import ticket_by_id
from postdesk.store.trial_reads import events_after, marks, outbox_after, trial_inbound
from postdesk.tickets.agents import AgentIdentity, AuthDecision
from postdesk.tickets.receive import chain
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.known import StoreKnown
from postdesk.tickets.receive.step import Receiving
from postdesk.tickets.unit_of_work import UnitOfWork
from postdesk.worker.budget import MailBudget
from postdesk.worker.read_mail import read_mails

TRIAL_METHOD = "postdesk rules test --as agent"


@dataclass(frozen=True)
class TrialEvent:
    ticket_id: int
    kind: str
    data: dict[str, Any]
    actor: str
    rule: str | None


@dataclass(frozen=True)
class TrialMail:
    kind: str  # template
    recipient: str
    ticket_id: int | None


@dataclass
class Trial:
    """What the worker would have done with the mail."""

    arrived: Arrived | None = None
    error: str = ""  # the mail could not be read
    outcome: Outcome | None = None
    events: list[TrialEvent] = field(default_factory=list)
    mails: list[TrialMail] = field(default_factory=list)
    ticket: dict[str, Any] | None = None  # the ticket after the mail
    message_texts: dict[int, str] = field(default_factory=dict)  # for the rules' snapshots
    now: datetime | None = None  # the moment the chain was given


class _AgentKnown(StoreKnown):
    """`StoreKnown`, with the From address taken as its agent's, proven."""

    @cached_property
    def agent(self) -> AuthDecision | None:
        sender = self._mail.sender
        agent = self.runtime.teams.agent(sender) if sender else None
        if agent is None:
            return None
        return AuthDecision(AgentIdentity(agent, TRIAL_METHOD), f"taken as {TRIAL_METHOD}")


class _RollBack(Exception):
    """Ends the trial's transaction without keeping anything."""


def try_mail(raw: bytes, runtime: Runtime, *, recipient: str, as_agent: bool) -> Trial:
    """Run the mail through the chain and roll everything back."""
    trial = Trial()
    arrival = Arrival(raw=raw, mail_from=None, rcpt_to=(recipient,), source="rules test")
    try:
        with database.atomic():
            _run(trial, arrival, runtime, as_agent)
            raise _RollBack
    except _RollBack:
        pass
    return trial


def _run(trial: Trial, arrival: Arrival, runtime: Runtime, as_agent: bool) -> None:
    from postdesk.store.ticket_history import message_by_id

    before = marks()
    row = trial_inbound(arrival)
    budget = MailBudget(runtime.settings.limits.max_mail_cpu_seconds)
    read = read_mails([row], runtime, {row.id: budget})[row.id]
    if isinstance(read, Exception):
        trial.error = f"{type(read).__name__}: {read}"
        return
    trial.arrived = read
    now = trial.now = utcnow()
    known = (_AgentKnown if as_agent else StoreKnown)(read, runtime, now)
    with UnitOfWork() as work:
        trial.outcome = chain.receive(read, Receiving(runtime, now, work, known))
    for event in events_after(before):
        trial.events.append(TrialEvent(event.ticket_id, event.kind, dict(event.data),
                                       event.actor, event.rule))
        message = message_by_id(event.data.get("message")) if "message" in event.data \
            else None
        if message is not None:
            trial.message_texts[message.id] = message.text
    trial.mails = [TrialMail(row.kind, row.recipient, row.ticket_id)
                   for row in outbox_after(before)]
    if trial.outcome.ticket_id is not None:
        ticket = ticket_by_id(trial.outcome.ticket_id)
        if ticket is not None:
            trial.ticket = {"id": ticket.id, "status": ticket.status,
                            "priority": ticket.priority, "team": ticket.team,
                            "assignee": ticket.assignee, "request_type": ticket.request_type,
                            "tags": sorted(ticket.tags or ())}
