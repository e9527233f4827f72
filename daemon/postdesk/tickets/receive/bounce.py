"""Step `bounce`: a delivery failure flags the address and never opens or reopens a ticket.

Addresses that failed for good are marked bouncing. When we can tell which of
our mails bounced (the DSN's original Message-ID, References, In-Reply-To),
the failure becomes an internal note on that ticket for the agents; nobody is
notified, so a storm of bounces stays quiet.

A mail to a genuine return path of ours (VERP, `postdesk.mail.verp`) is a
bounce of the recipient and mail the address names, whatever it says: a
free-text failure report with no recipient in it marks that recipient
bouncing on that ticket. Only an auto-reply (sent to the return path by a
careless responder) or a delay warning marks nobody; a forged return path
is not ours and counts for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.mail.bounce_report import BouncedRecipient
from postdesk.mail.classify import Classification, is_delay
from postdesk.store import ticket_lookups
from postdesk.tickets import service
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.known import BOUNCE_AUTHOR, Known, VerpBounce
from postdesk.tickets.receive.step import Receiving, Step


@dataclass(frozen=True)
class NoteBounce:
    """Flag the addresses that failed for good; note the failure on the ticket, if known."""

    ticket_id: int | None  # the ticket of the mail that bounced, when known
    verp: VerpBounce | None = None  # sent to the return path of one recipient of ours

    def act(self, mail: Arrived, receiving: Receiving) -> Outcome:
        verdict, parsed = _attributed(mail.verdict, self.verp), mail.parsed
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


def _attributed(verdict: Classification, verp: VerpBounce | None) -> Classification:
    """The verdict with the return path's recipient as the one that failed: for good,
    unless the report says it is only late (or says its recipients failed softly)."""
    if verp is None:
        return verdict
    said = [r for r in verdict.bounce if r.email.lower() == verp.recipient.lower()]
    hard = not is_delay(verdict) and (any(r.hard for r in verdict.bounce)
                                      or not verdict.bounce or verdict.kind != "bounce")
    status = said[0].status if said else None
    diagnostic = said[0].diagnostic if said else "reported to its return path"
    failed = BouncedRecipient(verp.recipient, status, hard, diagnostic)
    reason = (f"bounce to the return path of outbox {verp.outbox_id} "
              f"({verp.recipient}): {verdict.reason}")
    return Classification("bounce", reason, False, (failed,), verdict.original_message_id)


def take(mail: Arrived, known: Known) -> NoteBounce | None:
    if mail.return_path is not None and mail.verdict.kind not in ("auto_reply", "loop"):
        verp = known.verp_bounce
        if verp is not None:
            return NoteBounce(verp.ticket_id or known.bounced_ticket, verp)
    if mail.verdict.kind != "bounce":
        return None
    return NoteBounce(known.bounced_ticket)


BOUNCE = Step("bounce", take)
