"""What the customer-facing steps share: the mail stored as a message, the rules' trigger,
and the note that a known agent's address wrote without an agent's powers."""

from __future__ import annotations

from typing import Any

from postdesk.automation import EventFacts
from postdesk.mail.html_display import display_html
from postdesk.mail.parse import ParsedMail
from postdesk.mail.reply import extract_reply
from postdesk.mail.shown_text import ShownText, shown_text
from postdesk.mail.solved import is_solved
from postdesk.store.models import Message, Ticket
from postdesk.tickets import service
from postdesk.tickets.automation import Trigger
from postdesk.tickets.receive.arrived import Arrived
from postdesk.tickets.receive.step import Receiving


def new_text(parsed: ParsedMail, *, keep_closing: bool = False) -> str:
    """The text of a reply without the quoted history and signature (`keep_closing`: with
    the writer's closing formula, for an agent's answer to a customer)."""
    return extract_reply(parsed.text, html=None if parsed.text.strip() else parsed.html,
                         keep_closing=keep_closing).new_text


def store_mail(ticket: Ticket, mail: Arrived, author: str, visibility: str, receiving: Receiving,
               *, follow_up: bool = False) -> tuple[Message, ShownText]:
    """Store the mail; its text is what people read of it (a follow-up's new text, the
    customer's words above a forward: `postdesk.mail.shown_text`), the full body is kept
    too, a forwarded block as a `forwarded.txt` part."""
    parsed = mail.parsed
    assert parsed.sender is not None
    shown = shown_text(parsed.text, parsed.html, parsed.subject, follow_up=follow_up)
    message = service.add_message(
        ticket, direction="in", visibility=visibility, author_email=author,
        author_name=parsed.sender.name, subject=parsed.subject,
        text=shown.text, body=parsed.text,
        html=parsed.html, message_id=parsed.message_id, inbound=mail.inbound_id,
        attachments=(*parsed.attachments, *shown.parts()), now=receiving.now,
        work=receiving.work)
    if shown.whole:
        # the agent is shown that nothing was cut: the reply looked like history throughout
        service.record_event(ticket, "message.shown_whole", {"message": message.id},
                             actor="system", now=receiving.now, work=receiving.work)
    return message, shown


def customer_trigger(kind: str, role: str, mail: Arrived, text: str | None = None, *,
                     stored: Message | None = None, verified: bool = True,
                     whole: bool = False) -> Trigger:
    """The event a customer's (or participant's) mail is for the rules; `stored` is the
    message it became (its files reach the agents), `verified` False when its sender is
    not someone on the ticket or wrote to an agent's address without an agent's proof
    (agents are told so), `whole` True when nothing new was found in a reply (its whole
    text is what agents are notified of, and they are told so)."""
    parsed, verdict = mail.parsed, mail.verdict
    assert parsed.sender is not None
    body = (parsed.text if stored is None else stored.text) if text is None else text
    event = EventFacts(kind=kind, author_role=role, author_email=parsed.sender.normalized,
                       subject=parsed.subject, body=body,
                       has_attachment=bool(parsed.attachments),
                       solved_reader=is_solved)
    message: dict[str, Any] = {"author": {"name": parsed.sender.name,
                                          "email": parsed.sender.normalized, "role": role,
                                          "verified": verified}}
    if stored is not None:
        message["id"] = stored.id
        # agents read the sender's own formatting when it says what the text says
        message["html"] = display_html(stored.html, stored.text)
    if whole:
        message["whole"] = True
    return Trigger(event=event, may_auto_reply=verdict.may_auto_reply, why_not=verdict.reason,
                   desk_address=mail.desk_address, message_text=body, message=message)


def refused_agent(receiving: Receiving) -> bool:
    """A known agent's address wrote without proof that it was the agent."""
    decision = receiving.known.agent
    return decision is not None and decision.identity is None and bool(decision.reason)


def note_refused_agent(ticket: Ticket | int, receiving: Receiving) -> None:
    """A known agent's address wrote without proof it was the agent: handled as a
    customer's mail, and the ticket says why it got no agent's powers."""
    decision = receiving.known.agent
    if decision is not None and decision.identity is None and decision.reason:
        service.record_event(ticket, "agent.not_authenticated", {"reason": decision.reason},
                             actor="system", now=receiving.now, work=receiving.work)
