"""A mail as the receive chain gets it, and what became of it: plain, frozen data.

The worker fills an `Arrived` once, before the write transaction, with
everything that needs no database write: the parsed mail, its classification,
the support address it was written to, our reply token in it, a new sender's
language and, for an agent's mail, the domains whose DKIM signatures verify.
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.chat.mapping import ChatOrigin
from postdesk.mail.address import ReplyToken
from postdesk.mail.classify import Classification
from postdesk.mail.parse import ParsedMail
from postdesk.mail.verp import BounceToken


@dataclass(frozen=True)
class Arrived:
    """A stored mail, read and classified."""

    inbound_id: int
    rcpt_to: tuple[str, ...]
    sha256: str  # of the raw bytes: the same mail delivered twice
    parsed: ParsedMail
    verdict: Classification
    desk_address: str  # the support address it was written to (answers come from it)
    auth_results: tuple[str, ...] = ()  # its Authentication-Results headers
    token: ReplyToken | None = None  # our signed reply address it was sent to, if any
    #: a sender we did not know: the language of the text (guessed outside the transaction)
    new_sender_language: str | None = None
    #: an agent's mail without a reply token: the domains whose DKIM signatures verify
    dkim_domains: frozenset[str] = frozenset()
    #: sent to a return path of ours (VERP): the token, checked by `Known.verp_bounce`
    return_path: BounceToken | None = None
    #: the request type the customer chose on the ticket page (signed by the web edge)
    chosen_request_type: str | None = None
    #: written on the ticket page (inbound source ``web``): its session vouches for a
    #: customer, never for an agent, whatever the address (`Known.agent`)
    from_page: bool = False
    #: a chat message (postdesk.worker.read_chat): the thread it is in, and that its
    #: sender is the chat account's email as the platform verified it
    chat: ChatOrigin | None = None

    @property
    def sender(self) -> str | None:
        """The From address, lowercased; None when the mail has no usable one."""
        return self.parsed.sender.normalized if self.parsed.sender is not None else None


@dataclass(frozen=True)
class Outcome:
    """What became of a mail: done, ignored, duplicate, failed or skipped, and why."""

    state: str
    ticket_id: int | None = None
    reason: str = ""
    outbox_ids: tuple[int, ...] = ()
    changed_ticket: bool = False  # its SLA clocks are to be recomputed
    step: str = ""  # the step of the receive chain that took the mail
