"""What the store knows about an arriving mail, as the chain's steps ask for it.

Steps decide from plain answers (`Known`): is this an earlier mail again,
which ticket does it answer, is its sender an authenticated agent. `StoreKnown`
reads each answer from the database the first time a step asks, inside the
mail's transaction, so a loop costs no read and a duplicate no threading
lookups; a test hands a step the same answers as plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Protocol

from postdesk.config.runtime import Runtime
from postdesk.mail.address import find_subject_tag
from postdesk.mail.verp import verified_recipient
from postdesk.store import ticket_lookups
from postdesk.store.models import Customer, Ticket
from postdesk.store.outbox_lookups import outbox_recipients
from postdesk.store.ticket_lookups import EarlierCopy
from postdesk.tickets.agents import AgentIdentity, AuthDecision, check_agent
from postdesk.tickets.chat_reply_to_customer import chat_reply_method
from postdesk.tickets.correlate import ThreadFacts, ThreadMatch, find_ticket
from postdesk.tickets.duplicate_intake import DuplicateCheck, duplicate_check, repeated_ticket
from postdesk.tickets.receive.arrived import Arrived

#: The author recorded for a bounce whose From holds no usable address.
BOUNCE_AUTHOR = "mailer-daemon"


@dataclass(frozen=True)
class VerpBounce:
    """A mail to the return path of outbox row `outbox_id`, made for `recipient`."""

    recipient: str
    ticket_id: int | None
    outbox_id: int


class Known(Protocol):
    """The answers a step may ask for about the mail at hand."""

    @property
    def runtime(self) -> Runtime: ...
    @property
    def now(self) -> datetime: ...
    @property
    def earlier_copy(self) -> EarlierCopy | None: ...
    @property
    def duplicate_check(self) -> DuplicateCheck:
        """What duplicate detection compares of the mail (it has a sender), and with what."""
    @property
    def repeat_of(self) -> int | None:
        """The open ticket whose first mail had the same sender and words."""
    @property
    def bounced_ticket(self) -> int | None:
        """The ticket of the mail of ours that bounced, when we can tell."""
    @property
    def verp_bounce(self) -> VerpBounce | None:
        """Sent to a genuine return path of ours: which recipient of which mail failed."""
    @property
    def thread(self) -> ThreadMatch | None:
        """The ticket the mail answers (`correlate.find_ticket`)."""
    @property
    def ticket(self) -> Ticket:
        """The row of the `thread`'s ticket."""
    @property
    def agent(self) -> AuthDecision | None:
        """For a known agent's ordinary mail: authenticated or not, and why (None for a
        mail written on the ticket page: its writer is the page's customer)."""
    @property
    def customer(self) -> Customer | None:
        """The sender as a customer on file."""


class StoreKnown:
    """`Known`, read from the database once per question."""

    def __init__(self, mail: Arrived, runtime: Runtime, now: datetime) -> None:
        self._mail = mail
        self.runtime = runtime
        self.now = now
        self._rows: dict[int, Ticket | None] = {}  # ticket rows read while threading

    @cached_property
    def earlier_copy(self) -> EarlierCopy | None:
        mail = self._mail  # MTAs often write "From: MAILER-DAEMON": a bounce needs no sender
        return ticket_lookups.earlier_copy(mail.parsed.message_id, mail.sender or BOUNCE_AUTHOR,
                                           mail.sha256, mail.inbound_id)

    @cached_property
    def duplicate_check(self) -> DuplicateCheck:
        assert self._mail.sender is not None
        return duplicate_check(self._mail.sender, self._mail.parsed, self.runtime, self.now)

    @cached_property
    def repeat_of(self) -> int | None:
        return repeated_ticket(self.duplicate_check)

    @cached_property
    def bounced_ticket(self) -> int | None:
        parsed = self._mail.parsed
        bounced = ticket_lookups.tickets_of_message_ids(
            [self._mail.verdict.original_message_id or "", *reversed(parsed.references),
             *parsed.in_reply_to])
        return bounced[0] if bounced else None

    @cached_property
    def verp_bounce(self) -> VerpBounce | None:
        token = self._mail.return_path
        sent = outbox_recipients(token.outbox_id) if token is not None else None
        if token is None or sent is None:
            return None
        recipients, ticket_id = sent
        recipient = verified_recipient(token, recipients, self.runtime.settings.desk.secret)
        return VerpBounce(recipient, ticket_id, token.outbox_id) if recipient else None

    @cached_property
    def thread(self) -> ThreadMatch | None:
        mail, parsed = self._mail, self._mail.parsed
        assert mail.sender is not None
        if mail.from_page and mail.token is None:
            return None  # "open another request": a new ticket, whatever its subject says
        referenced = ticket_lookups.tickets_of_message_ids(
            [*reversed(parsed.references), *parsed.in_reply_to])
        tagged = find_subject_tag(parsed.subject)
        if tagged is not None and not ticket_lookups.ticket_exists(tagged):
            tagged = None
        people = ticket_lookups.people_on_ticket(tagged) if tagged is not None else frozenset()
        match = find_ticket(ThreadFacts(
            sender=mail.sender, token_ticket=mail.token.ticket_id if mail.token else None,
            referenced_tickets=referenced, tagged_ticket=tagged, tagged_ticket_people=people))
        if match is None:
            return None
        row = ticket_lookups.ticket_or_none(match.ticket_id)  # read once: `ticket` reuses it
        if row is None or row.merged_into is None:
            self._rows[match.ticket_id] = row
            return match
        # a merged ticket is a pointer: its mail belongs to the ticket it was merged into
        target = ticket_lookups.merged_target(match.ticket_id)
        return ThreadMatch(target, f"{match.how} of merged #{match.ticket_id}")

    @cached_property
    def ticket(self) -> Ticket:
        assert self.thread is not None
        row = self._rows.get(self.thread.ticket_id)
        return row if row is not None else ticket_lookups.ticket(self.thread.ticket_id)

    @cached_property
    def agent(self) -> AuthDecision | None:
        mail, teams = self._mail, self.runtime.teams
        if mail.sender is None or mail.verdict.kind != "normal" or teams.agent(mail.sender) is None:
            return None
        if mail.from_page:
            return None  # the page's session proves a customer's address, not an agent
        if mail.parsed.sender_source != "From":
            return None  # agent power follows a From only, never Sender, Reply-To or envelope
        if mail.chat is not None:  # the platform vouches for its account's email
            agent = teams.agent(mail.sender)
            assert agent is not None
            method = chat_reply_method(
                mail.chat, ticket_id=mail.token.ticket_id if mail.token else None,
                agent_email=agent.email, inbound_id=mail.inbound_id, now=self.now)
            return AuthDecision(AgentIdentity(agent, method, f"{mail.chat.platform} account "
                                                             f"{mail.chat.user_id}"),
                                f"{mail.sender} is the verified email of "
                                f"{mail.chat.platform} account {mail.chat.user_id}")
        token, match = mail.token, self.thread
        # the token of the ticket the mail answers (or of the ticket merged into it), or of
        # the agent's desk address
        own_token = token if token and (
            token.ticket_id == 0 if match is None
            else token.ticket_id == match.ticket_id
            or ticket_lookups.merged_target(token.ticket_id) == match.ticket_id) else None
        agents = self.runtime.settings.agents
        return check_agent(
            mail.sender, own_token, teams, authentication_results=mail.auth_results,
            trusted_authserv_ids=frozenset(agents.trusted_authserv_ids),
            dkim_verified_domains=mail.dkim_domains if own_token is None and agents.verify_dkim
            else frozenset())

    @cached_property
    def customer(self) -> Customer | None:
        sender = self._mail.sender
        return ticket_lookups.customer(sender) if sender is not None else None
