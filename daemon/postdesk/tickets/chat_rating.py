"""A satisfaction rating given in chat (a 1–5 button, a keycap reaction), on its ticket.

Stored as the ticket event `satisfaction.rated` with {rating, scale, comment, channel},
the same record the mail and web survey make; the thread hears a thank-you. A second
rating replaces the first in reports (the newest event counts).
"""

from __future__ import annotations

from datetime import datetime

from postdesk.store import chat_store
from postdesk.tickets import service
from postdesk.tickets.unit_of_work import UnitOfWork

RATED = "satisfaction.rated"


def record_rating(ticket_id: int, rating: int, scale: int, *, channel: str, now: datetime,
                  work: UnitOfWork) -> None:
    thread = chat_store.help_thread_of(ticket_id)
    actor = f"{channel}:{thread.user_id}" if thread is not None else channel
    service.record_event(ticket_id, RATED, {"rating": rating, "scale": scale, "comment": "",
                                            "channel": channel},
                         actor=actor, now=now, work=work)
    if thread is not None:
        chat_store.queue_post(thread, kind="satisfaction_thanks",
                              context={"ticket": {"id": ticket_id}, "rating": rating,
                                       "scale": scale},
                              language=None, attachments=[], now=now)
