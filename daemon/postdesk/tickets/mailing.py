"""Deciding a mail about a ticket: recipient, thread headers and the template's context.

The decision is stored as an outbox row (`service.queue_mail`); the sender
renders it later in the recipient's language and time zone. The context is
a plain, JSON-safe snapshot with everything any shipped template may use, so
an admin's template override can use any of it too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from postdesk.chat.channels import DirectNotices
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.mail.address import CUSTOMER_ROLE, reply_address
from postdesk.mail.compose import LOOP_HEADER, new_message_id
from postdesk.mail.page_token import PageToken, make_token
from postdesk.notify.audience import for_customer
from postdesk.store import fastsql, ticket_lookups
from postdesk.store.models import Customer, Ticket
from postdesk.tickets.agents import agent_role, note_role
from postdesk.tickets.service import MailToSend
from postdesk.tickets.thread_context import earlier_messages


@dataclass(frozen=True)
class MailRequest:
    """What a rule (or the desk) wants sent, before it knows the thread."""

    template: str
    recipient: str
    to_customer: bool
    extra: dict[str, Any] = field(default_factory=dict)
    language: str | None = None  # the recipient's, when not a customer on file (agents)
    timezone: str | None = None
    from_name: str | None = None  # e.g. "Support PL via Example Support"
    automatic: bool = True  # False for an agent's own reply relayed to the customer
    attachments: tuple[int, ...] = ()  # stored attachments to send along (their ids)
    cc: tuple[str, ...] = ()  # the others on the customer's side, in Cc of the same mail
    #: an agent's replies go to their note address (internal unless they start with
    #: #public): a notification of an internal note, whose history must not go public
    replies_internal: bool = False


def thread_ids(ticket: Ticket, *, public: bool = False) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References) that keep a mail in the ticket's thread; `public`: only
    what the customer's side has seen (mail to customers must not reveal the Message-IDs
    of agents' notifications and notes)."""
    inbound, outbound = (ticket_lookups.public_thread_message_ids(ticket.id) if public
                         else ticket_lookups.thread_message_ids(ticket.id))
    references = [*inbound, *outbound][-20:]
    return (inbound[-1] if inbound else None), references


def sla_due(ticket: Ticket, runtime: Runtime, now: datetime) -> str | None:
    """The most urgent clock's due time for agents' mail (ISO), None without one."""
    from postdesk.sla.tracking.track import most_urgent_due  # it builds on the rules

    due = most_urgent_due(ticket, runtime, now)
    return due.isoformat() if due is not None else None


def assign_example(team: str | None, teams: Iterable[str]) -> str:
    """The `#assign` value the agents' help text suggests: another team of the desk (the
    ticket's own when it is the only one), else "me"."""
    names = list(teams)
    other = next((name for name in names if name != team), None) or (names[0] if names else None)
    return f"team:{other}" if other else "me"


def ticket_page_url(settings: Settings, ticket: Ticket, customer: Customer | None,
                    now: datetime) -> str:
    """The signed link to the ticket's page for this customer; "" when the desk has no
    web page or the recipient is no customer on file."""
    if not settings.web.listen or customer is None:
        return ""
    expires = int(now.timestamp()) + settings.web.link_days * 86400
    token = make_token(settings.desk.secret,
                       PageToken(ticket.id, customer.id, ticket.link_version, expires))
    return f"{settings.web.public_base()}/t/{token}"


def build_mail(request: MailRequest, ticket: Ticket, runtime: Runtime, *, now: datetime,
               desk_address: str | None = None, message_text: str = "",
               own_message: int | None = None) -> MailToSend:
    """The mail `request` asks for; `message_text`: the message it carries, `own_message`:
    that message's id when known (the thread below it shows what came before it)."""
    settings = runtime.settings
    address = desk_address or settings.desk.addresses[0]
    requester: Customer = fastsql.related(ticket, Ticket.requester)
    recipient = request.recipient.lower()
    customer = (requester if recipient == requester.email
                else fastsql.get_by(Customer, Customer.email, recipient))
    in_reply_to, references = thread_ids(ticket, public=request.to_customer)
    role = (CUSTOMER_ROLE if request.to_customer
            else note_role(request.recipient) if request.replies_internal
            else agent_role(request.recipient))
    extra = dict(request.extra)
    facts = extra.pop("message_facts", {})  # agents' mail: due time, author, files
    context: dict[str, Any] = {
        "ticket": {
            "id": ticket.id, "subject": ticket.subject, "status": ticket.status,
            "public_status": runtime.statuses.public_title(ticket.status),
            "priority": ticket.priority, "request_type": ticket.request_type,
            "request_type_title": runtime.routing.title_of(ticket.request_type),
            "team": ticket.team, "assignee": ticket.assignee,
            "created_at": ticket.created_at.isoformat(),
            "sla_due": facts["sla_due"] if "sla_due" in facts else (
                None if request.to_customer else sla_due(ticket, runtime, now)),
        },
        "customer": {"name": requester.name, "email": requester.email},
        # who wrote the message (a Cc'd participant, a stranger): the requester unless known
        "author": facts.get("author") or {"name": requester.name, "email": requester.email,
                                          "role": "customer", "verified": True},
        "desk": {"name": settings.desk.name, "address": address,
                 # a reply within this many days reopens a resolved or closed ticket
                 "reopen_days": settings.tickets.reopen_days},
        # html: the sender's own, cleaned, when it says what the text says (agents only)
        "message": {"text": message_text, "attachments": facts.get("attachments", []),
                    "html": facts.get("html", ""), "whole": facts.get("whole", False)},
        # open tickets intake found alike ({id, percent}): agents' mail only
        "possible_duplicates": facts.get("possible_duplicates", []),
        "agent": {"name": "", "email": "" if request.to_customer else request.recipient},
        "original": {"id": ticket.id},
        "inactivity": {"days": max((now - (ticket.status_changed_at or ticket.created_at)).days,
                                   0)},
        "note_address": reply_address(address, ticket.id, note_role(request.recipient),
                                      settings.desk.secret),
        "replies_internal": request.replies_internal,
        "reply_marker": True,  # replies join the ticket: the text above the marker counts
        # the earlier messages below this one (the newest is the mail's own when it carries
        # a message or a note)
        "thread": earlier_messages(
            ticket.id, settings.tickets, to_customer=request.to_customer,
            skip_newest=bool(message_text) or "note" in extra,
            own=own_message if message_text and "note" not in extra else None),
        **extra,
    }
    if request.to_customer:
        context = for_customer(context)
        context["ticket_page"] = ticket_page_url(settings, ticket, customer, now)
    else:  # the help text's example names a team this desk has
        context.setdefault("help", {"assign": assign_example(ticket.team,
                                                             runtime.teams.team_names)})
    return MailToSend(
        kind=request.template,
        recipient=request.recipient,
        message_id=new_message_id(settings.desk.domain),
        language=(request.language or (customer.language if customer else None)
                  or settings.desk.default_language),
        timezone=(request.timezone or (customer.timezone if customer else None)
                  or settings.desk.timezone),
        context=context,
        headers={
            "from_name": request.from_name or settings.desk.name,
            "from_address": address,
            "reply_to": reply_address(address, ticket.id, role, settings.desk.secret),
            "in_reply_to": in_reply_to,
            "references": references,
            "auto_submitted": (None if not request.automatic
                               else "auto-replied" if request.to_customer else "auto-generated"),
            LOOP_HEADER: runtime.identity.loop_value,
            "attachments": list(request.attachments),
            **({"cc": list(request.cc)} if request.cc else {}),
        },
        automatic=request.automatic,
        mail_after_silence=(timedelta(hours=silence) if request.to_customer and (
            silence := runtime.channels.mail_after_silence_hours) is not None else None),
        direct_notices=_direct_notices(runtime) if request.to_customer else None,
    )


def _direct_notices(runtime: Runtime) -> DirectNotices | None:
    """channels.yaml's `notify_mail_requesters_in_chat`, when its platform is connected
    (postdesk.toml has its section): no direct message waits for a platform the desk
    does not run."""
    notices = runtime.channels.direct_notices
    if notices is None or notices.platform not in runtime.settings.chat_platforms:
        return None
    return notices
