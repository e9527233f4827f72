"""Every table of the desk, in the order they are created (parents before children).

The models live in modules of their own concept (`models` for the tickets and the
mail, `sla_store`, `sla_pending`, `lease`); this list gathers them for the first
migration and for tests that drop and recreate a database. It is kept apart from
`models` so that the modules which build on `models` are not imported by it.
"""

from __future__ import annotations

import peewee as pw

from postdesk.store.chat_store import ChatHealth, ChatOutbox, ChatThread
from postdesk.store.csat_store import CsatSurvey
from postdesk.store.duplicate_index import DuplicateTerm, TicketFingerprint, TicketTerm
from postdesk.store.lease import Lease
from postdesk.store.models import (
    Attachment,
    Blob,
    Customer,
    Event,
    ImapState,
    Inbound,
    Link,
    LiveFileRow,
    LiveFileText,
    Message,
    Outbox,
    Participant,
    SchemaVersion,
    Ticket,
)
from postdesk.store.sla_pending import SlaPending
from postdesk.store.sla_store import TicketSla
from postdesk.store.ticket_figures import TicketFigureClock, TicketFigures, TicketStatusChange

MODELS: tuple[type[pw.Model], ...] = (
    SchemaVersion,
    Customer,
    Ticket,
    Participant,
    Inbound,
    Message,
    Blob,
    Attachment,
    Event,
    Outbox,
    ImapState,
    Link,
    TicketSla,
    Lease,
    SlaPending,
    LiveFileRow,
    LiveFileText,
    TicketTerm,
    TicketFingerprint,
    DuplicateTerm,
    ChatThread,
    ChatOutbox,
    ChatHealth,
    CsatSurvey,
    TicketFigures,
    TicketFigureClock,
    TicketStatusChange,
)
