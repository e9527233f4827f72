"""Changes to a ticket from the terminal, for leads and scripts (`postdesk ticket assign ...`).

Each change is an agent command (`#assign hardware`, `#status resolved`,
`#merge 12`), parsed by the same parser with the same vocabulary and applied
as the same effects (`commands.command_effects`, `effects.apply_effect`) as in
an agent's mail, so a terminal and a mail client can never disagree on what a
word means. The author recorded on every event is the operator
(`operator:<unix user>`), not an agent: nobody can tell a terminal change for
an agent's. The rules then run for each change as they do for an agent's.

A reply from the terminal goes to the requester and every participant from the
support address, as the desk; a note stays internal. The caller owns the
transaction and the unit of work, and sends the outbox rows after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from postdesk.automation import Effect, EventFacts
from postdesk.automation.model import DEFAULT_PRIORITIES
from postdesk.config.runtime import Runtime
from postdesk.store import ticket_lookups
from postdesk.store.models import Ticket
from postdesk.tickets import service
from postdesk.tickets.automation import Trigger, run_automations, run_rules_for_changes
from postdesk.tickets.command_problems import COMMAND_PROBLEMS
from postdesk.tickets.commands import (
    check_ticket_references,
    command_effects,
    parse_commands,
    referenced_tickets,
)
from postdesk.tickets.effects import Change, ChangedBy, apply_effect
from postdesk.tickets.mailing import MailRequest, build_mail
from postdesk.tickets.note_notify import tell_agents_of_note
from postdesk.tickets.unit_of_work import UnitOfWork


def operator_actor(user: str) -> str:
    """How the audit trail names a change made from the terminal by unix user `user`."""
    return f"operator:{user or 'unknown'}"


@dataclass
class OperatorResult:
    """What a terminal command did: problems (nothing applied), changes, mail to send."""

    problems: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Operator:
    """Who acts and with what: the actor, the desk's files, the clock, the unit of work."""

    actor: str
    runtime: Runtime
    now: datetime
    work: UnitOfWork

    @property
    def desk_address(self) -> str:
        return self.runtime.settings.desk.addresses[0]


def apply_command(ticket: Ticket, line: str, operator: Operator) -> OperatorResult:
    """Apply one agent command line (``#status resolved``) as the operator; with a problem
    nothing is applied and the problems say why, in the words the agents' mail uses."""
    runtime = operator.runtime
    parsed = parse_commands(line, statuses=runtime.statuses, priorities=DEFAULT_PRIORITIES,
                            teams=runtime.teams, request_types=None, languages=None,
                            sender=None, queues=())
    existing = ticket_lookups.existing_tickets(referenced_tickets(parsed))
    parsed = check_ticket_references(parsed, ticket_id=ticket.id, existing=existing)
    result = OperatorResult()
    if not parsed.ok:
        result.problems = [f"{p.text}: " + COMMAND_PROBLEMS.get(p.problem_msgid, p.problem_msgid)
                           % dict(p.params) for p in parsed.problems]
        return result
    by = ChangedBy(operator.actor, operator.now, work=operator.work)
    effects = [effect for command in parsed.commands for effect in command_effects(command)]
    _apply(ticket, effects, by, operator, result)
    return result


def add_note(ticket: Ticket, text: str, operator: Operator) -> OperatorResult:
    """An internal note by the operator (the `add_note` effect, as a rule's note); the
    ticket's agents hear of it as of an agent's `#note`."""
    result = OperatorResult()
    by = ChangedBy(operator.actor, operator.now, work=operator.work)
    _apply(ticket, [Effect("add_note", {"text": text}, rule="", auditor=True)], by, operator,
           result)
    result.outbox_ids += tell_agents_of_note(
        ticket, text, author_name=operator.actor, author_email="",
        runtime=operator.runtime, now=operator.now, desk_address=operator.desk_address)
    return result


def reply(ticket: Ticket, text: str, operator: Operator) -> OperatorResult:
    """A public answer from the desk to the requester and every participant, stored in the
    thread and run through the rules as an agent's message."""
    result = OperatorResult()
    runtime, now = operator.runtime, operator.now
    service.add_message(ticket, direction="out", visibility="public",
                        author_email=operator.actor, author_name="", subject=ticket.subject,
                        text=text, body=text, html=None, message_id=None, inbound=None,
                        attachments=(), now=now, work=operator.work)
    people = [ticket.requester.email, *ticket_lookups.participant_emails(ticket.id)]
    for email in dict.fromkeys(people):
        request = MailRequest("agent_reply", email, True, automatic=False,
                              extra={"agent": {"name": "", "email": ""}})
        mail = build_mail(request, ticket, runtime, now=now, desk_address=operator.desk_address,
                          message_text=text)
        result.outbox_ids.append(service.queue_mail(ticket, mail, now=now).id)
    trigger = Trigger(EventFacts("message.received", author_role="agent",
                                 author_email=operator.actor, subject=ticket.subject, body=text),
                      desk_address=operator.desk_address, message_text=text,
                      outbox_ids=result.outbox_ids)
    run_automations(ticket, trigger, runtime, now, work=operator.work)
    return result


def _apply(ticket: Ticket, effects: list[Effect], by: ChangedBy, operator: Operator,
           result: OperatorResult) -> None:
    """The effects in order, then the rules for each change they made."""
    result.changes = [change for effect in effects
                      if (change := apply_effect(ticket, effect, by)) is not None]
    run_rules_for_changes(ticket, result.changes, author_email=operator.actor,
                          desk_address=operator.desk_address, outbox_ids=result.outbox_ids,
                          runtime=operator.runtime, now=operator.now, work=operator.work)
