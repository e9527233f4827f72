"""Step `reopen`: a customer writes again to a closed ticket within `[tickets] reopen_days`.

The mail joins the ticket as a follow-up and the ticket goes back to
`in_progress`. Counted from the ticket's last change: after the window, the
mail opens a new ticket linked to the old one instead (step `new ticket`).
"""

from __future__ import annotations

from datetime import timedelta

from postdesk.tickets.receive.arrived import Arrived
from postdesk.tickets.receive.follow_up import JoinTicket, is_closed
from postdesk.tickets.receive.known import Known
from postdesk.tickets.receive.step import Step


def take(mail: Arrived, known: Known) -> JoinTicket | None:
    match = known.thread
    if match is None or not is_closed(known.ticket, known):
        return None
    window = timedelta(days=known.runtime.settings.tickets.reopen_days)
    if known.now - known.ticket.updated_at > window:
        return None
    return JoinTicket(match.ticket_id, match.how, reopen=True)


REOPEN = Step("reopen", take)
