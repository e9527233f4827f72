"""Step `duplicate delivery`: the same mail a second time changes nothing.

A mail counts as delivered before when a stored message has its Message-ID
and sender, or another stored mail has the same bytes (a resend by the MTA
after a lost 250, the same message fetched again over IMAP). It is recorded
as a duplicate of the ticket the first one went to.
"""

from __future__ import annotations

from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.known import BOUNCE_AUTHOR, Known
from postdesk.tickets.receive.step import Settled, Step


def take(mail: Arrived, known: Known) -> Settled | None:
    copy = known.earlier_copy
    if copy is None:
        return None
    if copy.inbound_id is None:
        reason = (f"already stored: Message-ID <{mail.parsed.message_id}> "
                  f"from {mail.sender or BOUNCE_AUTHOR}")
    else:
        reason = f"already stored: identical to inbound {copy.inbound_id}"
    return Settled(Outcome("duplicate", ticket_id=copy.ticket_id, reason=reason))


DUPLICATE = Step("duplicate delivery", take)
