"""Agents hear of a chat ticket after its requester had a chance to read the suggestions.

A ticket opened in a chat help thread whose acknowledgment suggests articles shows its
requester two buttons, "This solved it" and "I still need help"
(`notify.chat_posts.REQUESTER_BUTTONS`). Meanwhile the agents' notification of the new
ticket (the mails of the `ticket.created` rules other than the customer's, and the
triage channels' posts) waits `[kb] chat_wait_minutes`:

    "This solved it" (or the answer "solved")  -> the ticket resolves as self-served
                                                  (`self_service`), the wait is cancelled:
                                                  no agent is bothered
    "I still need help"                        -> the notification goes now, and the
                                                  thread says an agent will answer
    any other message of the requester there   -> the notification goes now (Matrix has
                                                  no buttons: writing on is asking)
    nobody does anything                       -> it goes when the wait is over, as it
                                                  would have at once: no ticket goes unseen

The wait is in the database (`store.agent_hold`: the rows' next attempt), not a timer:
a restart keeps it. A `kb.chat_wait` event records which rows wait and until when;
`kb.chat_wait_ended` how the wait ended early.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from postdesk.notify.audience import CUSTOMER_TEMPLATES
from postdesk.store import agent_hold
from postdesk.store.models import Ticket
from postdesk.store.ticket_history import event_data
from postdesk.tickets import service
from postdesk.tickets.unit_of_work import UnitOfWork

WAIT = "kb.chat_wait"
WAIT_ENDED = "kb.chat_wait_ended"


def hold_agents(ticket: Ticket, outbox_ids: Sequence[int], minutes: int, now: datetime,
                work: UnitOfWork | None) -> bool:
    """Hold the agents' mails among `outbox_ids` and the ticket's triage posts for
    `minutes` (the caller decided the ticket is a chat one offered articles); True when
    something waits."""
    if minutes <= 0:
        return False
    until = now + timedelta(minutes=minutes)
    mails, later, posts = agent_hold.hold(outbox_ids, ticket.id, until,
                                          not_kinds=CUSTOMER_TEMPLATES)
    if not mails and not posts and not later:
        return False
    service.record_event(ticket, WAIT, {"until": until.isoformat(), "outbox": mails,
                                        "posts": posts, "held_longer": later},
                         actor="system", now=now, work=work)
    return True


def release_agents(ticket: Ticket, how: str, *, actor: str, now: datetime,
                   work: UnitOfWork | None) -> list[int]:
    """The requester still needs help: what waits for them goes now (a mail held for
    the agent's business hours keeps waiting for those); the mails' ids (to send)."""
    mails, posts = _waiting(ticket.id, now)
    if not mails and not posts:
        return []
    agent_hold.release(mails, posts, now)
    service.record_event(ticket, WAIT_ENDED, {"how": how, "outbox": mails, "posts": posts},
                         actor=actor, now=now, work=work)
    return mails


def cancel_agents(ticket: Ticket, how: str, *, actor: str, now: datetime,
                  work: UnitOfWork | None) -> bool:
    """The requester solved it: what waits never goes (a mail held for the agent's
    business hours neither). True when something waited."""
    mails, posts = _waiting(ticket.id, now, longer=True)
    if not mails and not posts:
        return False
    agent_hold.cancel(mails, posts, "cancelled: the requester solved it with a suggested "
                                    "article")
    service.record_event(ticket, WAIT_ENDED, {"how": how, "outbox": mails, "posts": posts,
                                              "cancelled": True},
                         actor=actor, now=now, work=work)
    return True


def _waiting(ticket_id: int, now: datetime, *, longer: bool = False
             ) -> tuple[list[int], list[int]]:
    """The rows of the ticket's wait still waiting (with `longer`: and the mails that
    wait for business hours)."""
    mails: list[int] = []
    posts: list[int] = []
    for data in event_data(ticket_id, WAIT):
        mails += _ids(data.get("outbox")) + (_ids(data.get("held_longer")) if longer else [])
        posts += _ids(data.get("posts"))
    return agent_hold.still_held(mails, posts, now)


def _ids(value: Any) -> list[int]:
    return [int(item) for item in value] if isinstance(value, list) else []
