"""The satisfaction surveys and their ratings: one `csat_survey` row per resolution asked.

A row is made when the desk decides to ask (`tickets.satisfaction`): the
ticket, its requester, the resolution's number (1 for the ticket's first
resolution, 2 after a reopening and a second one, ...), the scale and the
outbox row of the survey mail (NULL when asked in chat) and when it was sent.
The rating, its
comment and the channel it came by are filled in when the customer answers;
a change within `[csat] change_days` overwrites them (`first_rated_at` keeps
when the first answer came, so the window does not move). `state` is
``asked``, or ``cancelled`` when the ticket reopened before the mail went.

Every statement on the table is here; the table comes from migration 19.
"""

from __future__ import annotations

from datetime import datetime

import peewee as pw

from postdesk.store.models import BaseModel, Customer, Event, Outbox, Ticket, UTCDateTimeField


class CsatSurvey(BaseModel):
    id = pw.AutoField()
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE")
    ticket_id: int
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    customer_id: int
    resolution = pw.IntegerField()
    scale = pw.CharField(max_length=16)
    state = pw.CharField(max_length=16, default="asked")  # asked | cancelled
    outbox = pw.ForeignKeyField(Outbox, null=True, on_delete="SET NULL")
    outbox_id: int | None
    asked_at = UTCDateTimeField()
    #: when the survey reached the customer: its mail was sent (NULL while held), or
    #: `asked_at` for one asked without a mail (chat)
    sent_at = UTCDateTimeField(null=True)
    rating = pw.IntegerField(null=True)
    comment = pw.TextField(default="")
    channel = pw.CharField(max_length=16, default="")
    first_rated_at = UTCDateTimeField(null=True)
    rated_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "csat_survey"
        # the KPI figures read the period's surveys from the second index alone
        indexes = ((("ticket", "resolution"), True),
                   (("asked_at", "state", "sent_at", "scale", "rating"), False))


MODELS: tuple[type[pw.Model], ...] = (CsatSurvey,)


def latest(ticket_id: int) -> CsatSurvey | None:
    """The survey of the ticket's latest resolution asked, if any."""
    return (CsatSurvey.select().where(CsatSurvey.ticket == ticket_id)
            .order_by(CsatSurvey.resolution.desc()).first())


def of_resolution(ticket_id: int, resolution: int) -> CsatSurvey | None:
    return CsatSurvey.get_or_none((CsatSurvey.ticket == ticket_id)
                                  & (CsatSurvey.resolution == resolution))


def next_resolution(ticket_id: int) -> int:
    found = (CsatSurvey.select(pw.fn.MAX(CsatSurvey.resolution))
             .where(CsatSurvey.ticket == ticket_id).scalar())
    return int(found or 0) + 1


def ask(ticket_id: int, customer_id: int, resolution: int, scale: str, *,
        outbox_id: int | None, now: datetime) -> CsatSurvey:
    return CsatSurvey.create(ticket=ticket_id, customer=customer_id, resolution=resolution,
                             scale=scale, outbox=outbox_id, asked_at=now,
                             sent_at=None if outbox_id is not None else now)


def mark_sent(outbox_ids: list[int], now: datetime) -> None:
    """The surveys whose mail (these outbox rows) has just been sent."""
    if outbox_ids:
        CsatSurvey.update(sent_at=now).where(CsatSurvey.outbox.in_(outbox_ids)).execute()


def cancel(survey_id: int) -> None:
    CsatSurvey.update(state="cancelled").where(CsatSurvey.id == survey_id).execute()


def of_outbox(outbox_id: int) -> CsatSurvey | None:
    return CsatSurvey.get_or_none(CsatSurvey.outbox == outbox_id)


def rate(survey: CsatSurvey, rating: int, comment: str, channel: str, now: datetime) -> None:
    """Record (or change) the survey's rating."""
    survey.rating, survey.comment, survey.channel = rating, comment, channel
    survey.rated_at = now
    if survey.first_rated_at is None:
        survey.first_rated_at = now
    survey.save()


def ratings_of(ticket_id: int) -> list[CsatSurvey]:
    """The ticket's ratings given, oldest resolution first (`ticket show`)."""
    return list(CsatSurvey.select().where((CsatSurvey.ticket == ticket_id)
                                          & CsatSurvey.rating.is_null(False))
                .order_by(CsatSurvey.resolution))


def status_changes_since(ticket_id: int, since: datetime) -> list[tuple[str, str]]:
    """(old, new) of the ticket's status changes after `since`, oldest first."""
    return [(str(e.data.get("old", "")), str(e.data.get("new", ""))) for e in
            Event.select(Event.data).where((Event.ticket == ticket_id)
                                           & (Event.kind == "status.changed")
                                           & (Event.created_at > since)).order_by(Event.id)]


def has_event_at(ticket_id: int, kind: str, at: datetime) -> bool:
    """Whether the ticket has an event of `kind` recorded at the moment `at`."""
    return bool(Event.select().where((Event.ticket == ticket_id) & (Event.kind == kind)
                                     & (Event.created_at == at)).exists())
