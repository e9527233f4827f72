"""Asking for satisfaction after a resolution: the survey mail, held for `[csat] delay_minutes`.

The shipped rule `ask-for-satisfaction` (rules/automation.yaml) runs the action
`ask_satisfaction` when a ticket enters a resolved or closed status. The desk
then asks the requester, unless `[csat] enabled` is false, the requester is an
agent (their own click must not count) or a bouncing address, this resolution
was asked about already, or the customer solved it with a suggested article
(`for_self_served`) or a rule resolved it (`for_auto_closed`): each such
"no" is a `satisfaction.not_asked` event saying why.

The survey is an ordinary automatic mail (RFC 3834 headers, the per-recipient
rate limit) whose outbox row is held until the delay has passed; a
`csat_survey` row (`store.csat_store`) numbers the resolution, and the
`satisfaction.asked` event says when it goes. When the row's time comes, the
sender asks `cancelled_by_reopening` first: a ticket that reopened meanwhile
gets no survey (the row ends `dropped`, a `satisfaction.cancelled` event).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from postdesk.automation import Effect, EventFacts
from postdesk.config.runtime import Runtime
from postdesk.mail.csat_token import RatingLink, make_rating_token
from postdesk.store import csat_store, fastsql, outbox_admin
from postdesk.store.db import database, utcnow
from postdesk.store.models import Customer, Outbox, Ticket
from postdesk.tickets import service
from postdesk.tickets.chat_mirror import IN_CHAT
from postdesk.tickets.csat_scale import SURVEY_TEMPLATE, scale_of
from postdesk.tickets.effects import ChangedBy
from postdesk.tickets.mailing import MailRequest
from postdesk.tickets.statuses import StatusBook

#: the event of a resolution the customer reached with a suggested article
#: (`tickets.self_service.SELF_SERVED`, which builds on the rules and so cannot be imported)
SELF_SERVED = "kb.self_served"


def survey_request(ticket: Ticket, effect: Effect, event: EventFacts, runtime: Runtime,
                   by: ChangedBy) -> tuple[MailRequest, int] | None:
    """The survey mail to queue and the resolution's number; None (with the reason as a
    `satisfaction.not_asked` event) when this resolution gets no survey."""
    settings = runtime.settings
    if not settings.csat.enabled:
        return None
    requester: Customer = fastsql.related(ticket, Ticket.requester)
    why = _why_not(ticket, requester, effect, event, runtime, by)
    if why:
        service.record_event(ticket, "satisfaction.not_asked", {"reason": why},
                             actor="system", rule=effect.rule, now=by.now, work=by.work)
        return None
    resolution = csat_store.next_resolution(ticket.id)
    scale = scale_of(settings.csat.scale)
    expires = int(by.now.timestamp()) + settings.csat.delay_minutes * 60 \
        + settings.web.link_days * 86400
    choices = []
    for rating in scale.ratings:
        url = ""
        if settings.web.listen:
            token = make_rating_token(settings.desk.secret, RatingLink(
                ticket.id, requester.id, resolution, rating, expires))
            url = f"{settings.web.public_base()}/csat/{token}"
        choices.append({"rating": rating, "label": scale.label(rating), "url": url})
    survey = {"scale": scale.name, "choices": choices, "resolution": resolution,
              "change_days": settings.csat.change_days}
    return MailRequest(SURVEY_TEMPLATE, requester.email, True, extra={"survey": survey}), \
        resolution


def _why_not(ticket: Ticket, requester: Customer, effect: Effect, event: EventFacts,
             runtime: Runtime, by: ChangedBy) -> str:
    csat = runtime.settings.csat
    if runtime.statuses.kind(ticket.status) != "closed":
        return "the ticket is not resolved or closed"
    if runtime.teams.agent(requester.email) is not None:
        return "the requester is an agent"
    if requester.bouncing:
        return "the requester's address bounces"
    if not csat.for_self_served and _self_served_now(ticket.id, by):
        return "the customer solved it with an article ([csat] for_self_served)"
    if not csat.for_auto_closed and (effect.depth > 0 or event.author_role == "system"):
        return "a rule resolved it ([csat] for_auto_closed)"
    latest = csat_store.latest(ticket.id)
    if latest is not None and latest.state != "cancelled" and not reopened_since(
            ticket.id, latest.asked_at, runtime.statuses):
        return f"resolution {latest.resolution} was asked about already"
    return ""


def _self_served_now(ticket_id: int, by: ChangedBy) -> bool:
    """The change comes from the customer's "solved" after suggested articles (the
    `kb.self_served` event of this moment, gathered or inserted)."""
    if by.work is not None and by.work.has_event(ticket_id, SELF_SERVED):
        return True
    return csat_store.has_event_at(ticket_id, SELF_SERVED, by.now)


def reopened_since(ticket_id: int, since: datetime, statuses: StatusBook) -> bool:
    """Whether the ticket left a resolved or closed status after `since`."""
    return any(statuses.kind(old) == "closed" and statuses.kind(new) != "closed"
               for old, new in csat_store.status_changes_since(ticket_id, since))


def hold_survey(ticket: Ticket, queued: Outbox, resolution: int, runtime: Runtime,
                by: ChangedBy, rule: str) -> bool:
    """Record the survey asked and hold its mail for the delay; True when held (the
    sweeper sends it when due), False when it goes at once (a delay of 0)."""
    csat = runtime.settings.csat
    csat_store.ask(ticket.id, ticket.requester_id, resolution, csat.scale,
                   outbox_id=queued.id, now=by.now)
    if queued.state == IN_CHAT:  # asked in the chat thread with the closing post
        csat_store.mark_sent([queued.id], by.now)
    goes_at = by.now + timedelta(minutes=csat.delay_minutes)
    service.record_event(ticket, "satisfaction.asked", {
        "resolution": resolution, "scale": csat.scale, "outbox": queued.id,
        "at": goes_at.isoformat()}, actor="system", rule=rule, now=by.now, work=by.work)
    if goes_at <= by.now:
        return False
    service.hold_mail(queued, goes_at)
    return True


def cancelled_by_reopening(row: Outbox, runtime: Runtime) -> bool:
    """For the sender, before a survey mail goes: when its ticket reopened since it was
    asked, end the row `dropped` and say so on the ticket (True: do not send)."""
    survey = csat_store.of_outbox(row.id)
    if survey is None or row.ticket_id is None:
        return False
    reopened = reopened_since(row.ticket_id, survey.asked_at, runtime.statuses)
    if not reopened and survey.state != "cancelled":
        return False
    now = utcnow()
    with database.atomic():
        outbox_admin.drop(row.id, "cancelled: the ticket was reopened before the survey went")
        csat_store.cancel(survey.id)
        service.record_event(row.ticket_id, "satisfaction.cancelled", {
            "resolution": survey.resolution, "outbox": row.id,
            "reason": "the ticket was reopened"}, actor="system", now=now)
    return True


def survey_to_rate(ticket: Ticket, scale: str, runtime: Runtime, now: datetime
                   ) -> csat_store.CsatSurvey:
    """The survey a rating given without a survey link is for (a chat button, a keycap):
    the current resolution's, or one asked now without a mail (`outbox` NULL), so that
    the rating counts once per resolution like the mail's."""
    latest = csat_store.latest(ticket.id)
    if latest is not None and latest.state != "cancelled" and not reopened_since(
            ticket.id, latest.asked_at, runtime.statuses):
        return latest
    return csat_store.ask(ticket.id, ticket.requester_id, csat_store.next_resolution(ticket.id),
                          scale, outbox_id=None, now=now)
