"""peewee models: one set for SQLite and PostgreSQL.

Times are stored as naive UTC and returned timezone-aware (`UTCDateTimeField`),
so both engines agree. Only `tickets.service` writes the domain rows
(customer, ticket, message, attachment, event); intake writes `inbound`,
the sender updates `outbox`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import peewee as pw

from postdesk.store import fastsql, json_text
from postdesk.store.db import database


class UTCDateTimeField(pw.DateTimeField):
    """Aware UTC datetimes in, aware UTC datetimes out, naive UTC in the database."""

    def db_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value: Any) -> Any:
        value = super().python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class JSONField(pw.TextField):
    """JSON stored as text, the same on both engines."""

    def db_value(self, value: Any) -> Any:
        return None if value is None else json_text.dumps(value)

    def python_value(self, value: Any) -> Any:
        return None if value is None else json.loads(value)


class BytesField(pw.BlobField):
    """Raw bytes; psycopg may hand back memoryview."""

    def python_value(self, value: Any) -> Any:
        return bytes(value) if value is not None else None


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False

    def save(self, force_insert: bool = False, only: Any = None) -> Any:
        """peewee's save; re-saving a stored row (every column it holds) runs pre-built
        SQL instead of building the UPDATE each time (see `postdesk.store.fastsql`)."""
        meta: Any = self._meta
        pk = meta.primary_key
        row: Any = self
        if force_insert or only is not None or pk is False or meta.composite_key \
                or meta.only_save_dirty or row._pk is None:
            return super().save(force_insert=force_insert, only=only)
        fields = [f for f in meta.sorted_fields if f.name in self.__data__ and f is not pk]
        if not fields:
            raise ValueError("no data to save!")
        row._populate_unsaved_relations({f.name: self.__data__[f.name] for f in fields})
        return fastsql.save_fields(self, fields)


class SchemaVersion(BaseModel):
    """The number of the last migration applied."""

    id = pw.AutoField()
    version = pw.IntegerField()


class Customer(BaseModel):
    id = pw.AutoField()
    email = pw.CharField(max_length=320, unique=True)  # lowercased
    name = pw.CharField(max_length=300, default="")
    language = pw.CharField(max_length=35, null=True)
    timezone = pw.CharField(max_length=64, null=True)
    bouncing = pw.BooleanField(default=False)
    created_at = UTCDateTimeField()


class Ticket(BaseModel):
    id = pw.AutoField()
    subject = pw.CharField(max_length=1000, default="")
    status = pw.CharField(max_length=64, default="new", index=True)
    priority = pw.CharField(max_length=32, default="normal", index=True)
    requester = pw.ForeignKeyField(Customer, backref="tickets", on_delete="RESTRICT")
    requester_id: int
    assignee = pw.CharField(max_length=320, null=True, index=True)  # indexes: queues
    team = pw.CharField(max_length=100, null=True, index=True)
    request_type = pw.CharField(max_length=100, null=True, index=True)
    tags = JSONField(default=list)
    sla_paused = pw.BooleanField(default=False)
    created_at = UTCDateTimeField(index=True)
    updated_at = UTCDateTimeField()
    status_changed_at = UTCDateTimeField(null=True)
    # merged into that ticket: this one stays as a pointer, later mail threads there
    merged_into = pw.IntegerField(null=True)
    # links to the ticket's page carry this; `ticket revoke-links` bumps it
    link_version = pw.IntegerField(default=0, constraints=[pw.SQL("DEFAULT 0")])


class Participant(BaseModel):
    id = pw.AutoField()
    ticket = pw.ForeignKeyField(Ticket, backref="participants", on_delete="CASCADE")
    ticket_id: int
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE")
    customer_id: int

    class Meta:
        indexes = ((("ticket", "customer"), True),)


class Inbound(BaseModel):
    """A mail as it reached us: raw bytes and envelope, committed before we say 250."""

    id = pw.AutoField()
    received_at = UTCDateTimeField(index=True)
    source = pw.CharField(max_length=100)  # smtp, lmtp, pipe, imap:NAME
    peer = pw.CharField(max_length=200, default="")
    mail_from = pw.CharField(max_length=1000, null=True)  # '' = null return path
    rcpt_to = JSONField()
    raw = BytesField()
    size = pw.IntegerField()
    sha256 = pw.CharField(max_length=64, index=True)
    state = pw.CharField(max_length=16, default="pending", index=True)
    reason = pw.TextField(default="")
    attempts = pw.IntegerField(default=0)
    dispatched_at = UTCDateTimeField(null=True)
    ticket = pw.ForeignKeyField(Ticket, null=True, on_delete="SET NULL")
    ticket_id: int | None
    processed_at = UTCDateTimeField(null=True, index=True)  # MAX(): the last processed mail
    processed_by = pw.CharField(max_length=200, null=True)  # the node ([metrics] node)
    # a worker's claim while it works on the mail (store/inbound_claims.py)
    working_until = UTCDateTimeField(null=True)
    # a failed mail an operator has looked at and set aside (`postdesk inbound dismiss`)
    dismissed_at = UTCDateTimeField(null=True)
    dismissed_by = pw.CharField(max_length=320, null=True)
    dismiss_reason = pw.TextField(null=True)
    # the channel it came by: None for mail, "slack" / "teams" / "matrix" for a chat event
    # (raw is then `ChatEvent.to_json`); a chat event is stored once per platform event id
    channel = pw.CharField(max_length=16, null=True)
    dedup_key = pw.CharField(max_length=500, null=True, unique=True)


class Message(BaseModel):
    id = pw.AutoField()
    ticket = pw.ForeignKeyField(Ticket, backref="messages", on_delete="CASCADE")
    ticket_id: int
    direction = pw.CharField(max_length=3)  # in | out
    visibility = pw.CharField(max_length=8, default="public")  # public | internal
    author_email = pw.CharField(max_length=320, default="")
    author_name = pw.CharField(max_length=300, default="")
    message_id = pw.CharField(max_length=998, null=True, index=True)
    subject = pw.CharField(max_length=1000, default="")
    text = pw.TextField(default="")  # what people read: the new text
    body = pw.TextField(default="")  # the full text body as received
    html = pw.TextField(null=True)  # sanitised
    inbound = pw.ForeignKeyField(Inbound, null=True, on_delete="SET NULL")
    inbound_id: int | None
    created_at = UTCDateTimeField()


# The same mail from the same sender is stored once, even when two workers race.
Message.add_index(Message.message_id, Message.author_email, unique=True,
                  where=(Message.direction == "in"), name="message_inbound_unique")


class Blob(BaseModel):
    """Attachment contents, stored once per content hash."""

    sha256 = pw.CharField(max_length=64, primary_key=True)
    data = BytesField()
    size = pw.IntegerField()


class Attachment(BaseModel):
    id = pw.AutoField()
    message = pw.ForeignKeyField(Message, backref="attachments", on_delete="CASCADE")
    message_id: int
    filename = pw.CharField(max_length=300)
    content_type = pw.CharField(max_length=200)
    size = pw.IntegerField()
    blob = pw.ForeignKeyField(Blob, on_delete="RESTRICT")
    blob_id: int
    content_id = pw.CharField(max_length=300, null=True)
    inline = pw.BooleanField(default=False)
    note = pw.TextField(null=True)


class Event(BaseModel):
    """The audit trail: every change to a ticket and who or what made it."""

    id = pw.AutoField()
    ticket = pw.ForeignKeyField(Ticket, backref="events", on_delete="CASCADE")
    ticket_id: int
    kind = pw.CharField(max_length=64)
    data = JSONField(default=dict)
    actor = pw.CharField(max_length=320, default="system")
    rule = pw.CharField(max_length=200, null=True)
    created_at = UTCDateTimeField(index=True)


class Outbox(BaseModel):
    """A mail we decided to send. The Message-ID is fixed here so a retry sends the same mail."""

    id = pw.AutoField()
    ticket = pw.ForeignKeyField(Ticket, null=True, on_delete="SET NULL")
    ticket_id: int | None
    kind = pw.CharField(max_length=64)  # template name
    recipient = pw.CharField(max_length=320)
    language = pw.CharField(max_length=35, null=True)
    timezone = pw.CharField(max_length=64, null=True)
    message_id = pw.CharField(max_length=998, unique=True)
    automatic = pw.BooleanField(default=False)  # sent by the desk on its own (rate-limited)
    context = JSONField(default=dict)
    headers = JSONField(default=dict)  # From, Reply-To, In-Reply-To, References, ...
    raw = BytesField(null=True)  # rendered on the first attempt, re-sent as is
    state = pw.CharField(max_length=16, default="pending", index=True)
    attempts = pw.IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(index=True)
    # held until then (the recipient's business hours); next_attempt_at starts there too
    not_before = UTCDateTimeField(null=True)
    lease_until = UTCDateTimeField(null=True)
    dispatched_at = UTCDateTimeField(null=True)
    last_error = pw.TextField(default="")
    last_error_at = UTCDateTimeField(null=True, index=True)  # the relay's last refusal
    created_at = UTCDateTimeField(index=True)
    sent_at = UTCDateTimeField(null=True)


class ImapState(BaseModel):
    """Where the IMAP intake of one [[imap]] source stands: the last UID committed as inbound.

    UIDs below `rescan_through` were seen under an earlier UIDVALIDITY and are
    stored only if no inbound mail of this source has the same content hash or
    Message-ID.
    """

    id = pw.AutoField()
    source = pw.CharField(max_length=100, unique=True)  # the [[imap]] name
    uidvalidity = pw.BigIntegerField(null=True)
    last_uid = pw.BigIntegerField(default=0)
    rescan_through = pw.BigIntegerField(default=0)
    updated_at = UTCDateTimeField()


# The rate limit of automatic mail counts recent rows per recipient, and desk-wide.
Outbox.add_index(Outbox.recipient, Outbox.automatic, Outbox.created_at,
                 name="outbox_recipient_automatic_created")
Outbox.add_index(Outbox.automatic, Outbox.created_at, name="outbox_automatic_created")
# Queues (rules/queues.yaml) nearly always name statuses, then a team, assignee or type.
for _column in (Ticket.assignee, Ticket.team, Ticket.request_type):
    Ticket.add_index(Ticket.status, _column, name=f"ticket_status_{_column.name}")


class Link(BaseModel):
    """Two tickets that belong together: a duplicate, a follow-up of a closed one, related."""

    id = pw.AutoField()
    ticket = pw.ForeignKeyField(Ticket, backref="links", on_delete="CASCADE")
    ticket_id: int
    other = pw.ForeignKeyField(Ticket, on_delete="CASCADE")
    other_id: int
    kind = pw.CharField(max_length=32)  # duplicate_of | follow_up_of | related
    created_at = UTCDateTimeField()

    class Meta:
        indexes = ((("ticket", "other", "kind"), True),)


class LiveFileRow(BaseModel):
    """A live file as the desk last recorded it (see `postdesk.store.live_files`)."""

    name = pw.CharField(max_length=255, primary_key=True)
    in_force = pw.CharField(max_length=16)
    summary = pw.TextField(default="")
    error = pw.TextField(null=True)
    broken_since = UTCDateTimeField(null=True)
    good_sha256 = pw.CharField(max_length=64, null=True)  # of the texts in live_file_text
    validated_at = UTCDateTimeField(null=True)  # when that last good version was validated
    recorded_at = UTCDateTimeField()

    class Meta:
        table_name = "live_file"


class LiveFileText(BaseModel):
    """One file of a live file's last good version."""

    name = pw.CharField(max_length=255)
    position = pw.IntegerField()  # the order the files are read in
    file = pw.CharField(max_length=255)
    text = pw.TextField()
    sha256 = pw.CharField(max_length=64)

    class Meta:
        table_name = "live_file_text"
        primary_key = pw.CompositeKey("name", "position")
