"""Stored attachments read back for sending: name, type and the bytes of each.

An agent's reply carries its attachments to the customer: the outbox row
names them by id (`headers["attachments"]`) and the sender reads them here,
with their contents (kept once per content hash in `blob`). A generated file
(the report a `send_report` mail carries) is a blob the row names in
`headers["files"]`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from postdesk.store import fastsql
from postdesk.store.models import Attachment, Blob, Message


class AttachmentFile(NamedTuple):
    filename: str
    content_type: str
    data: bytes


def attachment_files(ids: Sequence[int]) -> list[AttachmentFile]:
    """The attachments with these ids, in id order (one query; unknown ids left out)."""
    return [stored for _id, stored in attachment_files_by_id(ids)]


def attachment_files_by_id(ids: Sequence[int]) -> list[tuple[int, AttachmentFile]]:
    """(id, file) of the attachments with these ids, in id order (unknown ids left out)."""
    if not ids:
        return []
    rows = (Attachment.select(Attachment, Blob).join(Blob)
            .where(Attachment.id.in_(list(ids))).order_by(Attachment.id))
    return [(int(row.id), AttachmentFile(row.filename, row.content_type, row.blob.data))
            for row in rows]


class TicketAttachment(NamedTuple):
    """One attachment of a ticket as `postdesk ticket attachment` finds it."""

    message_id: int
    visibility: str
    file: AttachmentFile


def ticket_attachments(ticket_id: int) -> list[TicketAttachment]:
    """Every attachment of a ticket's messages, oldest first, with its bytes."""
    rows = (Attachment.select(Attachment, Blob, Message.visibility)
            .join_from(Attachment, Blob).join_from(Attachment, Message)
            .where(Message.ticket == ticket_id).order_by(Attachment.id))
    return [TicketAttachment(row.message_id, row.message.visibility,
                             AttachmentFile(row.filename, row.content_type, row.blob.data))
            for row in rows]


def stored_file(data: bytes) -> str:
    """Keep generated contents (a report a mail carries) as a blob; its sha256."""
    digest = hashlib.sha256(data).hexdigest()
    fastsql.insert_if_absent(Blob, sha256=digest, data=data, size=len(data))
    return digest


def blob_files(files: Sequence[Mapping[str, str]]) -> list[AttachmentFile]:
    """The generated files an outbox row names (`headers["files"]`: filename,
    content_type, sha256), with their bytes; a missing blob is left out."""
    if not files:
        return []
    found = {row.sha256: bytes(row.data) for row in
             Blob.select().where(Blob.sha256.in_([f["sha256"] for f in files]))}
    return [AttachmentFile(f["filename"], f["content_type"], found[f["sha256"]])
            for f in files if f["sha256"] in found]
