"""Step `repeat`: the same words again from the same sender, while the first is open.

A customer who sends the same mail twice (another Message-ID: a second click on
send, the same text pasted into a new mail) opens no second ticket: the mail
is recorded as a duplicate delivery of the open ticket its first copy opened
(`[duplicates] days`; see `tickets.duplicate_intake`).
"""

from __future__ import annotations

from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.known import Known
from postdesk.tickets.receive.step import Settled, Step


def take(mail: Arrived, known: Known) -> Settled | None:
    ticket_id = known.repeat_of
    if ticket_id is None:
        return None
    return Settled(Outcome("duplicate", ticket_id=ticket_id,
                           reason=f"the same text from the same sender as ticket #{ticket_id}"))


REPEAT = Step("repeat", take)
