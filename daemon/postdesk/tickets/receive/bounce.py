"""Step `bounce`: a delivery failure flags the address and never opens or reopens a ticket.

Addresses that failed for good are marked bouncing. When we can tell which of
our mails bounced (the DSN's original Message-ID, References, In-Reply-To),
the failure becomes an internal note on that ticket for the agents; nobody is
notified, so a storm of bounces stays quiet.
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.mail.classify import Classification
from postdesk.store import ticket_lookups
from postdesk.tickets import service
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.known import BOUNCE_AUTHOR, Known
from postdesk.tickets.receive.step import Receiving, Step


@dataclass(frozen=True)
class NoteBounce:
    """Flag the addresses that failed for good; note the failure on the ticket, if known."""

    ticket_id: int | None  # the ticket of the mail that bounced, when known

    def act(self, mail: Arrived, receiving: Receiving) -> Outcome:
        verdict, parsed = mail.verdict, mail.parsed
        flagged = service.mark_bouncing(r.email for r in verdict.bounce if r.hard)
        if self.ticket_id is None:
            reason = verdict.reason + (f"; {flagged} address(es) marked bouncing"
                                       if flagged else "")
            return Outcome("ignored", reason=reason)
        ticket = ticket_lookups.ticket(self.ticket_id)
        service.add_message(
            ticket, direction="in", visibility="internal",
            author_email=parsed.sender.normalized if parsed.sender else BOUNCE_AUTHOR,
            author_name=parsed.sender.name if parsed.sender else "", subject=parsed.subject,
            text=failure_summary(verdict), body=parsed.text, html=None,
            message_id=parsed.message_id, inbound=mail.inbound_id, attachments=(),
            now=receiving.now, work=receiving.work)
        service.record_event(ticket, "mail.bounced",
                             {"recipients": [{"email": r.email, "status": r.status,
                                              "hard": r.hard} for r in verdict.bounce]},
                             actor="system", now=receiving.now, work=receiving.work)
        return Outcome("ignored", ticket_id=ticket.id, reason=verdict.reason)


def failure_summary(verdict: Classification) -> str:
    """One line per failed recipient, for the agents' note."""
    return "\n".join(
        f"{'Permanent' if r.hard else 'Temporary'} delivery failure to {r.email}"
        f"{f' ({r.status})' if r.status else ''}{f': {r.diagnostic}' if r.diagnostic else ''}"
        for r in verdict.bounce) or verdict.reason


def take(mail: Arrived, known: Known) -> NoteBounce | None:
    if mail.verdict.kind != "bounce":
        return None
    return NoteBounce(known.bounced_ticket)


BOUNCE = Step("bounce", take)
