"""How much automatic mail may still go out: the brake on mail storms.

An auto-responder that does not say it is automatic (the worst case) answers
every acknowledgment with a mail that opens a new ticket, which is
acknowledged again. RFC 3834 headers cannot stop that loop; counting can. At
most `[limits] auto_replies_per_address` automatic mails go to one address,
and `auto_replies_total` to everybody, within `auto_reply_window` seconds.
Mail held back is recorded as an event on its ticket, never silently dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from postdesk.config import LimitsSettings
from postdesk.db import database
from postdesk.models import Outbox


def automatic_mail_held_back(recipient: str, now: datetime, limits: LimitsSettings) -> str | None:
    """The reason an automatic mail to `recipient` must not go out now, or None."""
    since = Outbox.created_at.db_value(now - timedelta(seconds=limits.auto_reply_window))
    param = database.obj.param
    # "automatic" = TRUE as written in the partial index (models.AUTOMATIC_OUTBOX_INDEX), so
    # that the desk-wide count reads the index alone; both counts in one round trip
    recent = f'SELECT COUNT(*) FROM "outbox" WHERE "automatic" = TRUE AND "created_at" > {param}'
    to_recipient, total = database.execute_sql(
        f'SELECT ({recent} AND "recipient" = {param}), ({recent})',
        [since, recipient.lower(), since]).fetchone()
    if to_recipient >= limits.auto_replies_per_address:
        return (f"rate limit: {to_recipient} automatic mails to {recipient} in the last "
                f"{limits.auto_reply_window} s (limit {limits.auto_replies_per_address})")
    if total >= limits.auto_replies_total:
        return (f"rate limit: {total} automatic mails in the last {limits.auto_reply_window} s "
                f"(desk limit {limits.auto_replies_total})")
    return None
