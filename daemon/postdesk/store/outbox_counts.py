"""Questions about what is already in the outbox: automatic mail of late, and Message-IDs.

The rate limit of automatic mail (`postdesk.notify.ratelimit`) counts the
automatic rows created since a moment, per recipient or desk-wide, along the
indexes `outbox_recipient_automatic_created` and `outbox_automatic_created`;
the statement is pre-built, as it runs for every automatic mail. A scheduled
mail whose Message-ID is made of what it is about (a queue digest) asks
whether that Message-ID is queued already.
"""

from __future__ import annotations

from datetime import datetime

from postdesk.store.db import database
from postdesk.store.models import Outbox


def automatic_mail_since(since: datetime, recipient: str | None = None) -> int:
    """How many automatic mails were queued after `since` (to `recipient`, when given:
    the address as stored, lowercased)."""
    param = database.obj.param
    sql = f'SELECT COUNT(*) FROM "outbox" WHERE "automatic" = {param} AND "created_at" > {param}'
    params = [Outbox.automatic.db_value(True), Outbox.created_at.db_value(since)]
    if recipient is not None:
        sql += f' AND "recipient" = {param}'
        params.append(recipient)
    return int(database.execute_sql(sql, params).fetchone()[0])


def message_queued(message_id: str) -> bool:
    """Whether a mail with this Message-ID is in the outbox (in any state)."""
    return bool(Outbox.select().where(Outbox.message_id == message_id).exists())
