"""Step `no sender`: a mail without a usable From address cannot become anyone's ticket.

Bounces are taken before this step (they need no sender); any other mail
without one is marked failed with the reason, its bytes kept for a replay.
"""

from __future__ import annotations

from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.known import Known
from postdesk.tickets.receive.step import Settled, Step

NO_SENDER_REASON = "no usable From address: cannot tell who wrote this mail"


def take(mail: Arrived, known: Known) -> Settled | None:
    if mail.sender is not None:
        return None
    return Settled(Outcome("failed", reason=NO_SENDER_REASON))


NO_SENDER = Step("no sender", take)
