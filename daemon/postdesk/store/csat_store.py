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

`agent` is the agent the rating belongs to: the ticket's assignee at the
resolution asked about, kept when the ticket is reassigned later. The
reports' other groups of the ticket (team, request type, channel, priority)
are copied in from its `ticket_figures` row and kept in step with it by the
same triggers (`ticket_figures_sql.survey_groups_update`), so that the KPI
report counts a period's surveys per group from one index, without a join.

Every statement on the table is here; the table comes from migrations 19 and 22.
"""

from __future__ import annotations

from datetime import datetime

import peewee as pw

from postdesk.store.models import BaseModel, Customer, Event, Outbox, Ticket, UTCDateTimeField
from postdesk.store.ticket_figures import TicketFigures
from postdesk.store.ticket_figures_sql import SURVEY_COPIED_GROUPS, SURVEY_GROUP_COLUMNS

_NO_GROUP = pw.SQL("DEFAULT ''")


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
    #: the agent of the resolution ('' for none); the other groups are the ticket's now
    # (with a database default too, as migration 22 adds them: a row inserted by SQL alone
    # gets no group)
    agent = pw.CharField(max_length=320, default="", constraints=[_NO_GROUP])
    ticket_team = pw.CharField(max_length=100, default="", constraints=[_NO_GROUP])
    ticket_request_type = pw.CharField(max_length=100, default="", constraints=[_NO_GROUP])
    ticket_channel = pw.CharField(max_length=100, default="",  # `channel`: the rating's
                                  constraints=[_NO_GROUP])
    ticket_priority = pw.CharField(max_length=32, default="", constraints=[_NO_GROUP])

    class Meta:
        table_name = "csat_survey"
        indexes = ((("ticket", "resolution"), True),)


#: The KPI figures read the period's surveys from this index alone (migration 22 replaced
#: the one of migration 19 by it).
FIGURES_INDEX = "csat_survey_figures"
CsatSurvey.add_index(*(getattr(CsatSurvey, name) for name in (
    "asked_at", "state", "sent_at", "scale", "rating", *SURVEY_GROUP_COLUMNS.values())),
    name=FIGURES_INDEX)


MODELS: tuple[type[pw.Model], ...] = (CsatSurvey,)


def add_group_columns(database: pw.Database) -> None:
    """Add the group columns (migration 22) where the table lacks them: also before
    migration 20, whose triggers and back-fill copy the groups in. Each has a database
    default, so that neither engine rebuilds the table."""
    table = CsatSurvey._meta.table_name
    present = {column.name for column in database.get_columns(table)}
    for name in SURVEY_GROUP_COLUMNS.values():
        if name not in present:
            field = CsatSurvey._meta.fields[name]
            database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{name}" '
                                 f"VARCHAR({field.max_length}) NOT NULL DEFAULT ''")


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
        outbox_id: int | None, now: datetime, agent: str | None = None) -> CsatSurvey:
    """Record the survey of a resolution; `agent`: who the rating will belong to (None:
    the ticket's assignee now, at the resolution)."""
    if agent is None:
        agent = Ticket.select(Ticket.assignee).where(Ticket.id == ticket_id).scalar() or ""
    figures = (TicketFigures.select(*(getattr(TicketFigures, g) for g in SURVEY_COPIED_GROUPS))
               .where(TicketFigures.ticket == ticket_id).tuples().first())
    groups = dict(zip((SURVEY_GROUP_COLUMNS[g] for g in SURVEY_COPIED_GROUPS), figures or (),
                      strict=False))
    return CsatSurvey.create(ticket=ticket_id, customer=customer_id, resolution=resolution,
                             scale=scale, outbox=outbox_id, asked_at=now,
                             sent_at=None if outbox_id is not None else now,
                             agent=agent, **groups)


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
