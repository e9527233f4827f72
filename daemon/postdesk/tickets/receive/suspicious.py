"""Step `suspicious`: a mail the classifier failed on is set aside, never a customer's mail.

The classifier could not tell whether the mail is a bounce, an auto-reply or a
customer writing; taking it for a customer's mail would open a ticket for
`mailer-daemon@` and answer a robot. It is kept as failed with the reason
(raw bytes stored, `postdesk ingest --replay ID` once the cause is fixed, and
listed by `postdesk inbound --failed`): no ticket, no acknowledgment.
"""

from __future__ import annotations

from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.known import Known
from postdesk.tickets.receive.step import Settled, Step


def take(mail: Arrived, known: Known) -> Settled | None:
    if mail.verdict.kind != "suspicious":
        return None
    return Settled(Outcome("failed", reason=f"set aside unanswered: {mail.verdict.reason}"))


SUSPICIOUS = Step("suspicious", take)
