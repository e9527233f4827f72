"""A ticket opened from a chat message: its thread, and the team its channel gives it.

The thread's root becomes the ticket's (`chat_thread` row), so that replies in it join
the ticket and what the ticket does is posted there (`tickets.chat_mirror`). A thread
whose old ticket was closed too long ago to reopen moves to the new ticket.
"""

from __future__ import annotations

from datetime import datetime

from postdesk.chat.channels import CHANNELS_FILE
from postdesk.chat.mapping import ChatOrigin
from postdesk.store import chat_store
from postdesk.store.models import Ticket
from postdesk.tickets.routing import Route


def chat_route(origin: ChatOrigin) -> Route | None:
    """The team and request type channels.yaml gives the channel's tickets, if any."""
    if origin.team is None and origin.request_type is None:
        return None
    return Route(where=f"rules/{CHANNELS_FILE}: {origin.platform} channel {origin.channel}",
                 request_type=origin.request_type, team=origin.team)


def record_thread(ticket: Ticket, origin: ChatOrigin, now: datetime) -> None:
    found = chat_store.thread_at(origin.platform, origin.workspace, origin.channel,
                                 origin.thread_root)
    if found is not None:  # its new ticket's requester is this message's author
        chat_store.ChatThread.update(ticket=ticket.id, user_id=origin.user_id,
                                     locale=origin.locale).where(
            chat_store.ChatThread.id == found.id).execute()
        return
    chat_store.open_thread(platform=origin.platform, workspace=origin.workspace,
                           channel=origin.channel, root=origin.thread_root, mode=origin.mode,
                           ticket_id=ticket.id, user_id=origin.user_id, locale=origin.locale,
                           now=now)
