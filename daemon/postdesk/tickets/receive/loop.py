"""Step `loop`: mail that came from us or another robot in a loop is kept and ignored.

`mail.classify` recognises our own loop header and mail we sent; answering
such a mail would feed the loop, so nothing is written but the inbound row.
"""

from __future__ import annotations

from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.known import Known
from postdesk.tickets.receive.step import Settled, Step


def take(mail: Arrived, known: Known) -> Settled | None:
    if mail.verdict.kind != "loop":
        return None
    return Settled(Outcome("ignored", reason=mail.verdict.reason))


LOOP = Step("loop", take)
