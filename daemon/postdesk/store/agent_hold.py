"""The rows that tell agents of a new ticket, held back for a while (`tickets.chat_wait`).

A held row is an ordinary pending outbox row (mail) or chat outbox row (a triage post)
whose next attempt lies in the future: the sender and the sweeper leave it alone until
then and send it as any other row when its time comes, so a crash or a restart loses
nothing. Releasing makes it due now; cancelling ends it unsent (`dropped`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from postdesk.store.chat_store import TRIAGE_POST, ChatOutbox
from postdesk.store.models import Outbox
from postdesk.store.outbox_admin import drop

#: the state of a held chat post that will never go (its ticket was solved meanwhile)
DROPPED = "dropped"


def hold(mail_ids: Sequence[int], ticket_id: int, until: datetime, *,
         not_kinds: Collection[str] = ()) -> tuple[list[int], list[int], list[int]]:
    """Hold the pending mails `mail_ids` (but those of `not_kinds`, the customer's) and
    the ticket's pending triage posts until `until` (the caller's transaction). A mail
    held longer already (until the agent's business hours, `tickets.notify_hold`) keeps
    its time. The ids of the mails held here, of those held longer, and of the posts
    held here."""
    rows = [row for row in Outbox.select(Outbox.id, Outbox.kind, Outbox.next_attempt_at)
            .where(Outbox.id.in_(list(mail_ids)) & (Outbox.state == "pending"))
            if row.kind not in not_kinds] if mail_ids else []
    mails = [row.id for row in rows if row.next_attempt_at < until]
    later = [row.id for row in rows if row.next_attempt_at >= until]
    if mails:
        Outbox.update(not_before=until, next_attempt_at=until).where(
            Outbox.id.in_(mails)).execute()
    posts = [row.id for row in ChatOutbox.select(ChatOutbox.id).where(
        (ChatOutbox.ticket == ticket_id) & (ChatOutbox.kind == TRIAGE_POST)
        & (ChatOutbox.state == "pending") & ChatOutbox.claimed_at.is_null())]
    if posts:
        ChatOutbox.update(next_attempt_at=until).where(ChatOutbox.id.in_(posts)).execute()
    return mails, later, posts


def still_held(mail_ids: Sequence[int], post_ids: Sequence[int], now: datetime
               ) -> tuple[list[int], list[int]]:
    """Of those rows, the ones still waiting (pending, not yet due, no sender on them)."""
    mails = [row.id for row in Outbox.select(Outbox.id).where(
        Outbox.id.in_(list(mail_ids)) & (Outbox.state == "pending")
        & (Outbox.next_attempt_at > now))] if mail_ids else []
    posts = [row.id for row in ChatOutbox.select(ChatOutbox.id).where(
        ChatOutbox.id.in_(list(post_ids)) & (ChatOutbox.state == "pending")
        & (ChatOutbox.next_attempt_at > now) & ChatOutbox.claimed_at.is_null())
    ] if post_ids else []
    return mails, posts


def release(mail_ids: Sequence[int], post_ids: Sequence[int], now: datetime) -> None:
    """Make held rows due now (the caller's transaction)."""
    if mail_ids:
        Outbox.update(not_before=now, next_attempt_at=now).where(
            Outbox.id.in_(list(mail_ids)) & (Outbox.state == "pending")).execute()
    if post_ids:
        ChatOutbox.update(next_attempt_at=now).where(
            ChatOutbox.id.in_(list(post_ids)) & (ChatOutbox.state == "pending")).execute()


def cancel(mail_ids: Sequence[int], post_ids: Sequence[int], reason: str) -> None:
    """End held rows unsent (the caller's transaction)."""
    for mail_id in mail_ids:
        drop(mail_id, reason)
    if post_ids:
        ChatOutbox.update(state=DROPPED, last_error=reason).where(
            ChatOutbox.id.in_(list(post_ids)) & (ChatOutbox.state == "pending")).execute()
