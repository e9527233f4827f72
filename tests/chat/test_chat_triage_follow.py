"""A ticket's triage post follows the ticket, and the customer's later messages reach its
triage thread with "Reply to customer": through the worker on a real database, the chat
outbox rows as the sender gets them (tests/chat/test_slack_desk.py drives the same on
the loopback Slack server)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chat.test_chat_worker import AGENT, ANN, TRIAGE, event, run, runtime  # noqa: F401
from postdesk.channels.chat_sender import ChatSender
from postdesk.chat.model import ChatPost
from postdesk.config.runtime import Runtime
from postdesk.notify.chat_posts import render_post
from postdesk.store import chat_store
from postdesk.store.chat_store import ChatOutbox, record_posted
from postdesk.store.models import Message, Ticket
from postdesk.store.read_pool import ReadPool

POSTED = datetime(2026, 12, 7, 10, 1, tzinfo=UTC)


def triage_edits(ticket_id: int) -> list[ChatOutbox]:
    return list(ChatOutbox.select().where((ChatOutbox.ticket == ticket_id)
                                          & (ChatOutbox.kind == "triage_update"))
                .order_by(ChatOutbox.id))


def triage_post(ticket_id: int) -> ChatOutbox:
    """The ticket's post in the triage channel (its chat outbox row)."""
    return ChatOutbox.get((ChatOutbox.ticket == ticket_id)
                          & (ChatOutbox.kind == "triage_ticket"))


def as_sent(runtime: Runtime, row: ChatOutbox) -> ChatPost:  # noqa: F811
    """The post the sender hands the edge for `row`."""
    return ChatSender({}, runtime, None)._post_of(row)  # type: ignore[arg-type]


def test_the_triage_post_is_edited_to_the_tickets_latest_state_once_per_burst(
        runtime: Runtime) -> None:  # noqa: F811
    first = event(ANN, text="Monitor flickers")
    ticket_id = run(runtime, first).ticket_id
    triage = triage_post(ticket_id)
    record_posted(triage.id, "$triage_root", POSTED)
    assert triage_edits(ticket_id) == []

    # an agent raises the priority and takes it, then resolves it: one edit, latest state
    run(runtime, event(AGENT, text="#priority high\n#assign me\nLooking.",
                       thread="$triage_root", room=TRIAGE))
    run(runtime, event(AGENT, kind="reaction", reaction="✅", message_id=first.message_id))
    [edit] = triage_edits(ticket_id)
    post = as_sent(runtime, edit)
    assert (post.channel, post.edit_of, post.thread_id) == (TRIAGE, "$triage_root", None)
    lines = post.text.splitlines()
    assert lines[0] == f"New ticket #{ticket_id}: Monitor flickers"
    assert "priority high" in lines[1]
    assert lines[2] == "Status resolved, assignee agent@example.com"
    assert post.buttons[0].action == "reply_to_customer"

    # an edit already taken by a sender is followed by another; the older one, tried
    # again after it, is skipped
    assert chat_store.claim_posts([edit.id], datetime.now(UTC), timedelta(seconds=120))
    run(runtime, event(AGENT, text="#reopen", thread="$triage_root", room=TRIAGE))
    older, newer = triage_edits(ticket_id)
    assert "Status resolved" in as_sent(runtime, older).text
    assert Ticket.get_by_id(ticket_id).status in as_sent(runtime, newer).text.splitlines()[2]
    assert chat_store.superseded(older) and not chat_store.superseded(newer)


class Recorder:
    """A platform that keeps what it is asked to post."""

    platform = "matrix"

    def __init__(self) -> None:
        self.posted: list[ChatPost] = []

    async def post(self, post: ChatPost) -> str:
        self.posted.append(post)
        return f"$posted{len(self.posted)}"


def test_an_edit_read_by_the_sender_before_a_change_and_claimed_after_shows_it(
        runtime: Runtime) -> None:  # noqa: F811
    first = event(ANN, text="Headset crackles")
    ticket_id = run(runtime, first).ticket_id
    triage = triage_post(ticket_id)
    record_posted(triage.id, "$headset_root", POSTED)
    run(runtime, event(AGENT, text="#priority high", thread="$headset_root", room=TRIAGE))
    [read] = [row for row in chat_store.due_posts(("matrix",), datetime.now(UTC))
              if row.kind == "triage_update"]
    # the ticket changes between the sender's read and its claim
    run(runtime, event(AGENT, text="#status waiting_for_vendor", thread="$headset_root",
                       room=TRIAGE))
    assert chat_store.claim_posts([read.id], datetime.now(UTC), timedelta(seconds=120))
    platform, pool = Recorder(), ReadPool(threads=1, name="test-chat-sender")
    try:
        asyncio.run(ChatSender({"matrix": platform}, runtime,  # type: ignore[dict-item]
                               pool)._send(read))
    finally:
        pool.close()
    [edit] = platform.posted
    assert edit.edit_of == "$headset_root"
    assert "Status waiting_for_vendor" in edit.text and "priority high" in edit.text
    assert [row.id for row in triage_edits(ticket_id)] == [read.id]  # one edit in all


def test_a_change_before_the_triage_post_is_made_rewrites_it(
        runtime: Runtime) -> None:  # noqa: F811
    first = event(ANN, text="Keyboard missing keys")
    ticket_id = run(runtime, first).ticket_id
    run(runtime, event(AGENT, text="#priority high\nOn it.", thread=first.message_id))

    triage = triage_post(ticket_id)
    assert "priority high" in render_post("triage_ticket", triage.context, "en",
                                          runtime.renderer).text
    assert triage_edits(ticket_id) == []
    # posted with what it said when it was taken: the change since is edited in at once
    chat_store.claim_posts([triage.id], datetime.now(UTC), timedelta(seconds=120))
    run(runtime, event(AGENT, text="#status waiting_for_vendor", thread=first.message_id))
    record_posted(triage.id, "$late_root", POSTED)
    [edit] = triage_edits(ticket_id)
    assert as_sent(runtime, edit).edit_of == "$late_root"
    assert "Status waiting_for_vendor" in as_sent(runtime, edit).text


def test_the_customers_later_message_reaches_the_triage_thread_with_reply_to_customer(
        runtime: Runtime) -> None:  # noqa: F811
    first = event(ANN, text="Dock not charging")
    ticket_id = run(runtime, first).ticket_id
    triage = triage_post(ticket_id)
    record_posted(triage.id, "$dock_root", POSTED)

    run(runtime, event(ANN, text="It is the USB-C one.", thread=first.message_id))
    run(runtime, event(AGENT, text="Asking the vendor.", thread="$dock_root", room=TRIAGE))

    [mirrored] = ChatOutbox.select().where((ChatOutbox.ticket == ticket_id)
                                           & (ChatOutbox.kind == "customer_message"))
    assert (mirrored.channel, mirrored.thread_id) == (TRIAGE, "$dock_root")
    post = render_post("customer_message", mirrored.context, "en", runtime.renderer)
    assert post.text == (f"Ann <ann@customer.example> wrote on ticket #{ticket_id}:\n"
                         "It is the USB-C one.")
    assert [b.action for b in post.buttons] == ["reply_to_customer"]

    # the button on that post arms the presser's next message in the thread
    record_posted(mirrored.id, "$mirrored", POSTED)
    pressed = run(runtime, replace(event(AGENT, kind="action", message_id="$mirrored",
                                         thread="$dock_root", room=TRIAGE),
                                   action="reply_to_customer"))
    assert pressed.state == "done" and pressed.ticket_id == ticket_id
    run(runtime, event(AGENT, text="A new cable is on its way.", thread="$dock_root",
                       room=TRIAGE))
    answers = [(m.visibility, m.text) for m in Message.select().where(
        (Message.ticket == ticket_id) & (Message.direction == "out")).order_by(Message.id)]
    assert answers == [("internal", "Asking the vendor."),
                       ("public", "A new cable is on its way.")]
