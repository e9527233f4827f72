"""An authenticated agent's mail to a ticket: commands applied, the answer relayed, notes kept in.

The agent writes from their mail client. The new text (quoted history and
signature stripped) is read for commands at the top (see `commands`); with
any problem nothing is applied and nothing reaches the customer: the agent
gets one `command_error` mail and their text is kept as an internal note so
nothing is lost. Otherwise the commands change the ticket (each change is
recorded with the agent as actor), and the text either goes to the customer
and participants from the support address ("Agent via Desk") or, for `#note`
or a reply to the note address, stays internal and the other agents hear of it.

`#queue NAME` / `#queues` mail the agent a digest (`postdesk.ticket_queues.digest`),
from a reply to a ticket like the other commands, or on their own in a mail to
the plain support address (`desk_request`): such a mail has no signed
reply address to vouch for its sender, so it counts only when the From domain
passed DKIM (`[agents] verify_dkim`, or an Authentication-Results header of a
trusted server, `[agents] trusted_authserv_ids`) and the From is an agent of
rules/teams.yaml. Anything else is handled as a customer's mail.

Each command is applied as the effect it stands for (`commands.command_effects`)
by the same appliers as the rules' actions (`postdesk.tickets.effects`); the
events go into the caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from postdesk.automation import EventFacts
from postdesk.automation.model import DEFAULT_PRIORITIES
from postdesk.config.runtime import Runtime
from postdesk.mail.parse import ParsedMail
from postdesk.mail.reply import extract_reply
from postdesk.mail.reply_signature import ends_with_closing
from postdesk.store import ticket_lookups
from postdesk.store.models import Message, Ticket
from postdesk.ticket_queues.digest import digest_mail
from postdesk.tickets import service
from postdesk.tickets.agents import AgentIdentity
from postdesk.tickets.automation import (
    Trigger,
    agent_request,
    run_automations,
    run_rules_for_changes,
)
from postdesk.tickets.canned_apply import expand_replies
from postdesk.tickets.command_problems import COMMAND_PROBLEMS
from postdesk.tickets.commands import (
    COMMAND_NAMES,
    Command,
    ParsedReply,
    check_ticket_references,
    command_effects,
    parse_commands,
    referenced_tickets,
)
from postdesk.tickets.effects import Change, ChangedBy, apply_effect
from postdesk.tickets.mailing import MailRequest, build_mail
from postdesk.tickets.note_notify import tell_agents_of_note
from postdesk.tickets.outcome import status_change
from postdesk.tickets.unit_of_work import UnitOfWork


@dataclass
class AgentMailResult:
    outbox_ids: list[int] = field(default_factory=list)
    summary: str = ""


@dataclass(frozen=True)
class AgentLetter:
    """An authenticated agent's mail as the chain hands it over: who, what, where from."""

    identity: AgentIdentity
    parsed: ParsedMail
    new_text: str  # the reply without quoted history and signature
    inbound_id: int | None
    desk_address: str


def handle_agent_mail(ticket: Ticket, letter: AgentLetter, runtime: Runtime, now: datetime,
                      work: UnitOfWork) -> AgentMailResult:
    agent = letter.identity.agent
    reply = _parse(letter.new_text, agent.email, runtime)
    reply = expand_replies(reply, ticket, agent, runtime,
                           lambda text: _parse(text, agent.email, runtime))
    existing = ticket_lookups.existing_tickets(referenced_tickets(reply))
    reply = check_ticket_references(reply, ticket_id=ticket.id, existing=existing)
    result = AgentMailResult()
    if not reply.ok:
        return _refuse(ticket, letter, reply, runtime, now, work, result)
    by = ChangedBy(agent.email, now, work=work)
    changes = [change for command in reply.commands for effect in command_effects(command)
               if (change := apply_effect(ticket, effect, by)) is not None]
    _send_digests(reply.commands, letter, runtime, now, result)
    # #note, or mail to the note address (where replies to a note notification go) unless
    # the reply starts with #public: a pasted history must not reach the customer
    internal = reply.internal or (letter.identity.internal and not reply.public)
    text = reply.text  # without the command lines (the reply is ok here)
    if internal or reply.silent:
        if text:
            _store(ticket, letter, text, "internal", now, work)
            if internal:
                _tell_other_agents(ticket, letter, text, runtime, now, result)
        result.summary = "internal note" if internal else "commands applied, text kept internal"
    elif text:
        answer = _store(ticket, letter, text, "public", now, work)
        files = ticket_lookups.attached_files(answer.id)
        _relay(ticket, letter, text, files, runtime, now, result,
               change=_last_status_change(changes, runtime))
        result.summary = "agent reply sent to the customer"
    else:
        result.summary = "commands applied"
    public = bool(text) and not (internal or reply.silent)
    # a public answer carries the outcome of its status change, and #silent sends nothing:
    # either way no separate mail to the customer for the changes
    held = "reply.folded" if public else "reply.silenced" if reply.silent else None
    _run_rules(ticket, letter, text, changes, runtime, now, work, result, public=public,
               customer_replies_held=held)
    return result


def _last_status_change(changes: list[Change], runtime: Runtime) -> dict[str, Any] | None:
    """The status change the agent's reply makes, as the customer's mail states it (the
    first old and the last new status, when several commands moved it); None without one."""
    moves = [change for change in changes if change.kind == "status.changed"]
    if not moves:
        return None
    return status_change(moves[0].old, moves[-1].new, runtime.statuses)


def _run_rules(ticket: Ticket, letter: AgentLetter, text: str, changes: list[Change],
               runtime: Runtime, now: datetime, work: UnitOfWork,
               result: AgentMailResult, *, public: bool,
               customer_replies_held: str | None) -> None:
    """The rules for the agent's message (`public`: it went to the customer), then for
    each change a rule listens to."""
    agent = letter.identity.agent
    trigger = Trigger(EventFacts("message.received", author_role="agent",
                                 author_email=agent.email, subject=letter.parsed.subject,
                                 body=text, public=public),
                      desk_address=letter.desk_address, message_text=text,
                      outbox_ids=result.outbox_ids)
    run_automations(ticket, trigger, runtime, now, work=work)
    run_rules_for_changes(ticket, changes, author_email=agent.email,
                          desk_address=letter.desk_address, outbox_ids=result.outbox_ids,
                          runtime=runtime, now=now, work=work,
                          customer_replies_held=customer_replies_held)


def desk_request(identity: AgentIdentity, parsed: ParsedMail, runtime: Runtime
                 ) -> ParsedReply | None:
    """The `#queue` / `#queues` commands of a mail to the support address that has no
    other command (an unknown queue is kept as a problem, to be answered with the list of
    queues). None: not such a request."""
    new_text = extract_reply(parsed.text, html=None if parsed.text.strip() else parsed.html
                             ).new_text
    reply = _parse(new_text, identity.agent.email, runtime)
    unknown = [p for p in reply.problems if p.problem_msgid == "unknown_queue"]
    if (not reply.commands and not unknown) or len(unknown) != len(reply.problems) \
            or any(c.name != "queue" for c in reply.commands):
        return None
    return reply


def answer_desk_request(letter: AgentLetter, reply: ParsedReply, runtime: Runtime,
                        now: datetime) -> AgentMailResult:
    """The digests a `desk_request` asks for (an unknown queue gets the list of queues,
    naming it)."""
    identity, desk_address = letter.identity, letter.desk_address
    unknown = [p.params.get("value", "") for p in reply.problems]
    result = AgentMailResult()
    _send_digests(reply.commands, letter, runtime, now, result)
    for name in unknown:
        mail = digest_mail(runtime, identity.agent, None, now, problem=name,
                           desk_address=desk_address)
        result.outbox_ids.append(service.queue_mail(None, mail, now=now).id)
    asked = [c.value or "#queues" for c in reply.commands] + unknown
    result.summary = f"queue digest ({', '.join(asked)})"
    return result


def _parse(text: str, sender: str, runtime: Runtime) -> ParsedReply:
    return parse_commands(text, statuses=runtime.statuses, priorities=DEFAULT_PRIORITIES,
                          teams=runtime.teams, request_types=None, languages=None,
                          sender=sender, queues=runtime.queues.names)


def _send_digests(commands: tuple[Command, ...], letter: AgentLetter, runtime: Runtime,
                  now: datetime, result: AgentMailResult) -> None:
    for command in commands:
        if command.name == "queue":
            queue = runtime.queues.get(command.value) if command.value else None
            mail = digest_mail(runtime, letter.identity.agent, queue, now,
                               desk_address=letter.desk_address)
            result.outbox_ids.append(service.queue_mail(None, mail, now=now).id)


def _store(ticket: Ticket, letter: AgentLetter, text: str, visibility: str, now: datetime,
           work: UnitOfWork) -> Message:
    agent, parsed = letter.identity.agent, letter.parsed
    return service.add_message(
        ticket, direction="out", visibility=visibility, author_email=agent.email,
        author_name=agent.name, subject=parsed.subject, text=text, body=parsed.text, html=None,
        message_id=parsed.message_id, inbound=letter.inbound_id,
        attachments=parsed.attachments if visibility == "public" else (), now=now, work=work)


def _relay(ticket: Ticket, letter: AgentLetter, text: str, files: tuple[int, ...],
           runtime: Runtime, now: datetime, result: AgentMailResult,
           change: dict[str, Any] | None = None) -> None:
    """The agent's answer from the support address: one mail to the requester with every
    participant in Cc, so that each sees who else was told (as in the customer's mail);
    with the outcome of the status `change` the reply makes, said in plain words."""
    agent = letter.identity.agent
    shown = f"{agent.name} via {runtime.settings.desk.name}" if agent.name else None
    requester = ticket.requester.email
    others = tuple(e for e in dict.fromkeys(ticket_lookups.participant_emails(ticket.id))
                   if e != requester)
    request = MailRequest("agent_reply", requester, True, from_name=shown, automatic=False,
                          extra={"agent": {"name": agent.name, "email": "",
                                           # the name goes right below "Best regards,"
                                           "after_closing": ends_with_closing(text)},
                                 **({"change": change} if change else {})},
                          attachments=files, cc=others)
    mail = build_mail(request, ticket, runtime, now=now, desk_address=letter.desk_address,
                      message_text=text)
    result.outbox_ids.append(service.queue_mail(ticket, mail, now=now).id)


def _tell_other_agents(ticket: Ticket, letter: AgentLetter, text: str, runtime: Runtime,
                       now: datetime, result: AgentMailResult) -> None:
    author = letter.identity.agent
    result.outbox_ids += tell_agents_of_note(
        ticket, text, author_name=author.name, author_email=author.email, runtime=runtime,
        now=now, desk_address=letter.desk_address)


def _refuse(ticket: Ticket, letter: AgentLetter, reply: ParsedReply, runtime: Runtime,
            now: datetime, work: UnitOfWork, result: AgentMailResult) -> AgentMailResult:
    """Nothing applied, nothing sent: the text kept as a note, the agent told why."""
    agent = letter.identity.agent
    _store(ticket, letter, letter.new_text, "internal", now, work)
    problems = [{"line": p.text, "problem": COMMAND_PROBLEMS.get(p.problem_msgid,
                                                                 p.problem_msgid),
                 "params": dict(p.params)} for p in reply.problems]
    service.record_event(ticket, "commands.rejected", {"problems": problems},
                         actor=agent.email, now=now, work=work)
    request = agent_request("command_error", agent, problems=problems,
                            commands=", ".join(COMMAND_NAMES))
    mail = build_mail(request, ticket, runtime, now=now, desk_address=letter.desk_address)
    result.outbox_ids.append(service.queue_mail(ticket, mail, now=now).id)
    result.summary = f"{len(problems)} command problem(s): nothing applied, nothing sent"
    return result
