"""Recording a satisfaction rating: from the survey's page, a reply, or a chat button.

One rating per resolution (`store.csat_store`): a second answer within
`[csat] change_days` of the first replaces it, a later one is refused. Only
the ticket's requester rates, and never from an agent's address (an agent
trying the link or replying "5" records nothing). Each rating recorded is a
`satisfaction.rated` event on the ticket, data {rating, scale, comment,
channel, resolution, changed}, the same name and shape as a chat rating, and
the rules hear it (`on: satisfaction.rated`, `csat_rating: {below: 3}`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from postdesk.automation import EventFacts
from postdesk.config.runtime import Runtime
from postdesk.store import csat_store, fastsql, outbox_admin
from postdesk.store.csat_store import CsatSurvey
from postdesk.store.db import database, utcnow
from postdesk.store.models import Customer, Ticket
from postdesk.tickets import service
from postdesk.tickets.automation import Trigger, run_automations
from postdesk.tickets.csat_scale import scale_of
from postdesk.tickets.unit_of_work import UnitOfWork

RATED_EVENT = "satisfaction.rated"
#: the most of a comment kept
MAX_COMMENT = 2000

#: why a rating was not recorded (the web page words each for the customer)
NOT_RATED = ("cancelled", "agent", "not_requester", "too_late", "out_of_scale")


@dataclass
class Rated:
    """What became of a rating: `outcome` "recorded", "changed" or one of NOT_RATED."""

    outcome: str
    outbox_ids: list[int] = field(default_factory=list)

    @property
    def recorded(self) -> bool:
        return self.outcome in ("recorded", "changed")


def may_still_change(survey: CsatSurvey, change_days: int, now: datetime) -> bool:
    """Whether the survey takes an answer now: never answered, or first answered within
    `change_days`."""
    return survey.first_rated_at is None or \
        now - survey.first_rated_at <= timedelta(days=change_days)


def refusal(survey: CsatSurvey, customer: Customer, rating: int, runtime: Runtime,
            now: datetime) -> str:
    """Why `customer` may not give `rating` to the survey now; "" when they may."""
    if survey.state == "cancelled":
        return "cancelled"
    if runtime.teams.agent(customer.email) is not None:
        return "agent"
    if customer.id != survey.customer_id:
        return "not_requester"
    if rating not in scale_of(survey.scale).ratings:
        return "out_of_scale"
    if not may_still_change(survey, runtime.settings.csat.change_days, now):
        return "too_late"
    return ""


def record_rating(survey: CsatSurvey, customer: Customer, rating: int, comment: str, *,
                  channel: str, runtime: Runtime, now: datetime, desk_address: str,
                  work: UnitOfWork | None = None) -> Rated:
    """Record (or change) the rating inside the caller's transaction, as `customer`, and
    run the rules listening to `satisfaction.rated`; the mail those rules queued is in
    the result's `outbox_ids`, for the caller to dispatch after its commit."""
    why_not = refusal(survey, customer, rating, runtime, now)
    if why_not:
        return Rated(why_not)
    changed = survey.rating is not None
    comment = comment.strip()[:MAX_COMMENT]
    csat_store.rate(survey, rating, comment, channel, now)
    if survey.outbox_id is not None:  # rated (by a reply) while the survey was still held
        outbox_admin.drop(survey.outbox_id, "not sent: the customer rated before it went")
    ticket: Ticket = fastsql.related(survey, CsatSurvey.ticket)
    scale = scale_of(survey.scale)
    data = {"rating": rating, "scale": scale.name, "comment": comment, "channel": channel,
            "resolution": survey.resolution, "changed": changed}
    service.record_event(ticket, RATED_EVENT, data, actor=customer.email, now=now, work=work)
    trigger = Trigger(EventFacts(RATED_EVENT, author_role="customer",
                                 author_email=customer.email, body=comment, rating=rating),
                      desk_address=desk_address,
                      mail_context={"rating": {**data, "label": scale.label(rating),
                                               "best": scale.label(len(scale.labels))}})
    outbox_ids = run_automations(ticket, trigger, runtime, now, work=work)
    return Rated("changed" if changed else "recorded", outbox_ids)


@dataclass(frozen=True)
class SurveyPage:
    """What the survey's confirmation page shows for one rating link."""

    ticket_id: int
    subject: str
    scale: str
    rating: int | None  # the rating recorded so far
    comment: str
    language: str | None
    timezone: str | None
    #: why nothing can be recorded from this link (one of NOT_RATED), "" when it can
    problem: str


def survey_page(ticket_id: int, customer_id: int, resolution: int, runtime: Runtime,
                now: datetime) -> SurveyPage | None:
    """The page of a rating link (reads only); None when there is no such survey."""
    survey = csat_store.of_resolution(ticket_id, resolution)
    customer = Customer.get_or_none(Customer.id == customer_id)
    if survey is None or customer is None:
        return None
    ticket: Ticket = fastsql.related(survey, CsatSurvey.ticket)
    problem = refusal(survey, customer, scale_of(survey.scale).ratings[0], runtime, now)
    return SurveyPage(ticket.id, ticket.subject, survey.scale, survey.rating, survey.comment,
                      customer.language or runtime.settings.desk.default_language,
                      customer.timezone or runtime.settings.desk.timezone, problem)


def rate_from_page(ticket_id: int, customer_id: int, resolution: int, rating: int,
                   comment: str, runtime: Runtime) -> Rated:
    """The page's POST: record the rating in one transaction (its own connection)."""
    now = utcnow()
    with database.connection_context(), database.atomic():
        survey = csat_store.of_resolution(ticket_id, resolution)
        customer = Customer.get_or_none(Customer.id == customer_id)
        if survey is None or customer is None:
            return Rated("cancelled")
        with UnitOfWork() as work:
            return record_rating(survey, customer, rating, comment, channel="web",
                                 runtime=runtime, now=now,
                                 desk_address=runtime.settings.desk.addresses[0], work=work)
