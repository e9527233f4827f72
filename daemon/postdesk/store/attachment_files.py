"""Stored attachments read back for sending: name, type and the bytes of each.

An agent's reply carries its attachments to the customer: the outbox row
names them by id (`headers["attachments"]`) and the sender reads them here,
with their contents (kept once per content hash in `blob`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from postdesk.store.models import Attachment, Blob


class AttachmentFile(NamedTuple):
    filename: str
    content_type: str
    data: bytes


def attachment_files(ids: Sequence[int]) -> list[AttachmentFile]:
    """The attachments with these ids, in id order (one query; unknown ids left out)."""
    if not ids:
        return []
    rows = (Attachment.select(Attachment, Blob).join(Blob)
            .where(Attachment.id.in_(list(ids))).order_by(Attachment.id))
    return [AttachmentFile(row.filename, row.content_type, row.blob.data) for row in rows]
