"""A satisfaction rating given in chat (a 1–5 button, a keycap reaction), on its ticket.

It is recorded like the mail and web survey's answers (`tickets.satisfaction`): for the
current resolution's survey (one is opened without a mail when none was asked), as the
requester, once per resolution and changeable for `[csat] change_days`, as the event
`satisfaction.rated` that rules, `ticket show` and `report kpi` read. The thread hears a
thank-you only when the rating was taken.
"""

from __future__ import annotations

from datetime import datetime

from postdesk.chat.mapping import RATING_SCALE
from postdesk.config.runtime import Runtime
from postdesk.store import chat_store, fastsql
from postdesk.store.models import Customer, Ticket
from postdesk.tickets.csat_survey import survey_to_rate
from postdesk.tickets.satisfaction import Rated
from postdesk.tickets.satisfaction import record_rating as record_survey_rating
from postdesk.tickets.unit_of_work import UnitOfWork

#: the scale of chat's rating buttons and keycaps (1️⃣ .. 5️⃣)
CHAT_SCALE = "1-5"


def record_rating(ticket_id: int, rating: int, *, channel: str, runtime: Runtime,
                  desk_address: str, now: datetime, work: UnitOfWork) -> Rated:
    """Record the requester's chat rating; the mail the rating's rules queued is in the
    result's `outbox_ids`, for the caller to dispatch after its commit."""
    ticket = Ticket.get_by_id(ticket_id)
    requester: Customer = fastsql.related(ticket, Ticket.requester)
    survey = survey_to_rate(ticket, CHAT_SCALE, runtime, now)
    rated = record_survey_rating(survey, requester, rating, "", channel=channel,
                                 runtime=runtime, now=now, desk_address=desk_address,
                                 work=work)
    thread = chat_store.help_thread_of(ticket_id)
    if rated.recorded and thread is not None:
        chat_store.queue_post(thread, kind="satisfaction_thanks",
                              context={"ticket": {"id": ticket_id}, "rating": rating,
                                       "scale": RATING_SCALE},
                              language=None, attachments=[], now=now)
    return rated
