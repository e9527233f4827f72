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
the plain support address (`handle_desk_request`): such a mail has no signed
reply address to vouch for its sender, so it counts only when the From domain
passed DKIM (`[agents] verify_dkim`, or an Authentication-Results header of a
trusted server, `[agents] trusted_authserv_ids`) and the From is an agent of
rules/teams.yaml. Anything else is handled as a customer's mail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from postdesk.automation import EventFacts
from postdesk.automation.model import DEFAULT_PRIORITIES
from postdesk.config.runtime import Runtime
from postdesk.mail.parse import ParsedMail
from postdesk.mail.reply import extract_reply
from postdesk.notify.samples import COMMAND_PROBLEMS
from postdesk.store.models import Attachment, Customer, Inbound, Message, Participant, Ticket
from postdesk.ticket_queues.digest import digest_mail
from postdesk.tickets import service
from postdesk.tickets.agents import AgentIdentity
from postdesk.tickets.automation import Trigger, agent_request, run_automations
from postdesk.tickets.commands import (
    Command,
    ParsedReply,
    check_ticket_references,
    parse_commands,
    referenced_tickets,
)
from postdesk.tickets.mailing import MailRequest, build_mail


@dataclass
class AgentMailResult:
    outbox_ids: list[int] = field(default_factory=list)
    summary: str = ""


def handle_agent_mail(ticket: Ticket, identity: AgentIdentity, parsed: ParsedMail,
                      new_text: str, row: Inbound, runtime: Runtime, now: datetime,
                      desk_address: str) -> AgentMailResult:
    agent = identity.agent
    reply = _parse(new_text, agent.email, runtime)
    wanted = referenced_tickets(reply)
    existing = {t.id for t in Ticket.select(Ticket.id).where(Ticket.id.in_(tuple(wanted)))}
    reply = check_ticket_references(reply, ticket_id=ticket.id, existing=existing)
    result = AgentMailResult()
    if not reply.ok:
        return _refuse(ticket, identity, reply, parsed, new_text, row, runtime, now,
                       desk_address, result)
    changes = [_apply(command, ticket, agent.email, now) for command in reply.commands]
    _send_digests(reply.commands, identity, runtime, now, desk_address, result)
    internal = reply.internal or identity.internal  # #note, or mail to the note address
    text = reply.text  # without the command lines (the reply is ok here)
    if internal or reply.silent:
        if text:
            _store(ticket, parsed, text, row, agent.email, agent.name, "internal", now)
            if internal:
                _tell_other_agents(ticket, identity, text, runtime, now, desk_address, result)
        result.summary = "internal note" if internal else "commands applied, text kept internal"
    elif text:
        answer = _store(ticket, parsed, text, row, agent.email, agent.name, "public", now)
        files = tuple(a.id for a in Attachment.select(Attachment.id)
                      .where((Attachment.message == answer.id) & ~Attachment.inline))
        _relay(ticket, identity, text, files, runtime, now, desk_address, result)
        result.summary = "agent reply sent to the customer"
    else:
        result.summary = "commands applied"
    trigger = Trigger(EventFacts("message.received", author_role="agent",
                                 author_email=agent.email, subject=parsed.subject, body=text),
                      desk_address=desk_address, message_text=text,
                      outbox_ids=result.outbox_ids)
    run_automations(ticket, trigger, runtime, now)
    for kind, old, new in (c for c in changes if c is not None):
        run_automations(ticket, Trigger(EventFacts(kind, author_role="agent",
                                                   author_email=agent.email, old=old, new=new),
                                        desk_address=desk_address,
                                        outbox_ids=result.outbox_ids), runtime, now)
    return result


def handle_desk_request(identity: AgentIdentity, parsed: ParsedMail, runtime: Runtime,
                        now: datetime, desk_address: str) -> AgentMailResult | None:
    """A mail to the support address that is only `#queue` / `#queues` lines: the digests
    (an unknown queue gets the list of queues, naming it). None: not such a request."""
    new_text = extract_reply(parsed.text, html=None if parsed.text.strip() else parsed.html
                             ).new_text
    reply = _parse(new_text, identity.agent.email, runtime)
    unknown = [p.params.get("value", "") for p in reply.problems
               if p.problem_msgid == "unknown_queue"]
    if (not reply.commands and not unknown) or len(unknown) != len(reply.problems) \
            or any(c.name != "queue" for c in reply.commands):
        return None
    result = AgentMailResult()
    _send_digests(reply.commands, identity, runtime, now, desk_address, result)
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


def _send_digests(commands: tuple[Command, ...], identity: AgentIdentity, runtime: Runtime,
                  now: datetime, desk_address: str, result: AgentMailResult) -> None:
    for command in commands:
        if command.name == "queue":
            queue = runtime.queues.get(command.value) if command.value else None
            mail = digest_mail(runtime, identity.agent, queue, now, desk_address=desk_address)
            result.outbox_ids.append(service.queue_mail(None, mail, now=now).id)


def _apply(command: Command, ticket: Ticket, actor: str, now: datetime
           ) -> tuple[str, str | None, str | None] | None:
    """Apply one command; return (event kind, old, new) for a change rules listen to."""
    value = command.value
    old_assignee = ticket.assignee
    match command.name:
        case "status":
            old = ticket.status
            if service.set_status(ticket, value, actor=actor, now=now):
                return "status.changed", old, value
        case "priority":
            old = ticket.priority
            if service.change_ticket(ticket, "priority.changed", actor=actor, now=now,
                                     priority=value):
                return "priority.changed", old, value
        case "assign_agent" | "assign_team" | "unassign":
            changes: dict[str, str | None] = {"assignee": value or None}
            if command.name == "assign_team":
                changes = {"team": value, "assignee": None}
            if service.change_ticket(ticket, "assignee.changed", actor=actor, now=now,
                                     **changes):
                return "assignee.changed", old_assignee, ticket.assignee
        case "tag_add" | "tag_remove":
            tags = set(ticket.tags or ())
            tags = tags | {value} if command.name == "tag_add" else tags - {value}
            service.change_ticket(ticket, "tags.changed", actor=actor, now=now,
                                  tags=sorted(tags))
        case "link":
            service.link_tickets(ticket, int(value), "related", actor=actor, now=now)
        case "duplicate_of":
            service.link_tickets(ticket, int(value), "duplicate_of", actor=actor, now=now)
            old = ticket.status
            if service.set_status(ticket, "resolved", actor=actor, now=now,
                                  reason=f"duplicate of #{value}"):
                return "status.changed", old, "resolved"
        case "language":
            Customer.update(language=value).where(Customer.id == ticket.requester_id).execute()
            service.record_event(ticket, "customer.language_changed", {"language": value},
                                 actor=actor, now=now)
        case "request_type":
            service.change_ticket(ticket, "request_type.changed", actor=actor, now=now,
                                  request_type=value)
    return None


def _store(ticket: Ticket, parsed: ParsedMail, text: str, row: Inbound, author: str,
           name: str, visibility: str, now: datetime) -> Message:
    return service.add_message(
        ticket, direction="out", visibility=visibility, author_email=author, author_name=name,
        subject=parsed.subject, text=text, body=parsed.text, html=None,
        message_id=parsed.message_id, inbound=row,
        attachments=parsed.attachments if visibility == "public" else (), now=now)


def _relay(ticket: Ticket, identity: AgentIdentity, text: str, files: tuple[int, ...],
           runtime: Runtime, now: datetime, desk_address: str, result: AgentMailResult) -> None:
    """The agent's answer, to the requester and every participant, from the support address."""
    agent = identity.agent
    shown = f"{agent.name} via {runtime.settings.desk.name}" if agent.name else None
    participants = Participant.select().where(Participant.ticket == ticket.id)
    people = [ticket.requester.email, *(p.customer.email for p in participants)]
    for email in dict.fromkeys(people):
        request = MailRequest("agent_reply", email, True, from_name=shown, automatic=False,
                              extra={"agent": {"name": agent.name, "email": ""}},
                              attachments=files)
        mail = build_mail(request, ticket, runtime, now=now, desk_address=desk_address,
                          message_text=text)
        result.outbox_ids.append(service.queue_mail(ticket, mail, now=now).id)


def _tell_other_agents(ticket: Ticket, identity: AgentIdentity, text: str, runtime: Runtime,
                       now: datetime, desk_address: str, result: AgentMailResult) -> None:
    author = identity.agent
    team = ticket.team or next(iter(runtime.teams.team_names), "")
    others = {a.email: a for a in runtime.teams.agents(team)}
    assignee = runtime.teams.agent(ticket.assignee) if ticket.assignee else None
    if assignee is not None:
        others[assignee.email] = assignee
    others.pop(author.email, None)
    for agent in others.values():
        request = agent_request("internal_note", agent,
                                author={"name": author.name, "email": author.email},
                                note={"text": text, "attachments": []})
        mail = build_mail(request, ticket, runtime, now=now, desk_address=desk_address)
        result.outbox_ids.append(service.queue_mail(ticket, mail, now=now).id)


def _refuse(ticket: Ticket, identity: AgentIdentity, reply: ParsedReply, parsed: ParsedMail,
            new_text: str, row: Inbound, runtime: Runtime, now: datetime, desk_address: str,
            result: AgentMailResult) -> AgentMailResult:
    agent = identity.agent
    _store(ticket, parsed, new_text, row, agent.email, agent.name, "internal", now)
    problems = [{"line": p.text, "problem": COMMAND_PROBLEMS.get(p.problem_msgid,
                                                                 p.problem_msgid),
                 "params": dict(p.params)} for p in reply.problems]
    service.record_event(ticket, "commands.rejected", {"problems": problems},
                         actor=agent.email, now=now)
    request = agent_request("command_error", agent, problems=problems)
    mail = build_mail(request, ticket, runtime, now=now, desk_address=desk_address)
    result.outbox_ids.append(service.queue_mail(ticket, mail, now=now).id)
    result.summary = f"{len(problems)} command problem(s): nothing applied, nothing sent"
    return result
