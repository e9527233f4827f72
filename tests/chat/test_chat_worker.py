"""Chat events through the worker into tickets, on a real database: the receive chain of
mail takes them (a help channel's message opens a ticket, the thread joins it), agent power
only for a verified agent email, and what the ticket says to its requester becomes a chat
outbox row for the thread instead of a mail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from itertools import count

import pytest
from rich.console import Console

from chat.chat_desk import chat_runtime
from postdesk.chat.model import ChatEvent, ChatFile, ChatUser
from postdesk.cli.render_tickets import inbound_table
from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.notify.chat_posts import render_post
from postdesk.store import ticket_lookups
from postdesk.store.attachment_files import attachment_files
from postdesk.store.chat_inbound import store_chat_event
from postdesk.store.chat_store import ChatOutbox, ChatThread, record_posted
from postdesk.store.csat_store import CsatSurvey
from postdesk.store.models import Customer, Event, Inbound, Message, Outbox, Ticket
from postdesk.tickets import views
from postdesk.tickets.chat_triage import post_sla_crossing
from postdesk.tickets.views import ticket_detail
from postdesk.worker.process import Outcome, process_many

ROOM = "!help:chat.example"
TRIAGE = "!triage:chat.example"
CHANNELS = f"""channels:
  - platform: matrix
    channel: "{ROOM}"
    mode: help
    team: support
  - platform: matrix
    channel: "{TRIAGE}"
    mode: triage
    if: {{team: support}}
reactions:
  "✅": {{status: resolved}}
"""
TEAMS = """teams:
  - name: support
    agents:
      - {email: agent@example.com, name: "Agent Smith"}
"""
ANN = ChatUser("matrix", "@ann:chat.example", email="ann@customer.example",
               display_name="Ann", locale="pl-PL")
AGENT = ChatUser("matrix", "@smith:chat.example", email="agent@example.com",
                 display_name="Smith")
#: shows the agent's display name but the platform verified no agent email for it
FORGER = ChatUser("matrix", "@mallory:chat.example", email="mallory@customer.example",
                  display_name="Agent Smith")
NO_EMAIL = ChatUser("matrix", "@bob:chat.example", display_name="agent@example.com")
_ids = count(1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


@pytest.fixture
def runtime(migrated: str, make_settings: Callable[..., Settings]) -> Iterator[Runtime]:
    # agents hear at once, whatever the knowledge base suggests (`tickets.chat_wait` is
    # tested in tests/chat/test_slack_suggestions.py)
    yield from chat_runtime(migrated, make_settings, CHANNELS, TEAMS, kb_chat_wait_minutes=0)


def event(user: ChatUser, *, text: str = "", thread: str | None = None,
          kind: str = "message", message_id: str | None = None, reaction: str | None = None,
          room: str = ROOM) -> ChatEvent:
    number = next(_ids)
    return ChatEvent(platform="matrix", event_id=f"$e{number}", kind=kind,  # type: ignore[arg-type]
                     workspace="chat.example", channel=room, user=user,
                     message_id=message_id or f"$e{number}", thread_id=thread, text=text,
                     reaction=reaction, sent_at=datetime(2026, 12, 7, 10, 0, tzinfo=UTC))


def run(runtime: Runtime, chat: ChatEvent) -> Outcome:
    inbound_id = store_chat_event(chat)
    assert inbound_id is not None
    (outcome,) = process_many([inbound_id], runtime)
    assert isinstance(outcome, Outcome)
    return outcome


def posts(ticket_id: int) -> list[str]:
    """The posts for the ticket's help thread."""
    return [row.kind for row in ChatOutbox.select().where(
        (ChatOutbox.ticket == ticket_id) & (ChatOutbox.channel == ROOM))
        .order_by(ChatOutbox.id)]


def test_a_help_channel_message_opens_a_ticket_answered_in_its_thread(runtime) -> None:
    first = event(ANN, text="My laptop does not boot\nIt shows a black screen.")

    outcome = run(runtime, first)

    assert outcome.state == "done" and outcome.ticket_id is not None
    ticket = Ticket.get_by_id(outcome.ticket_id)
    assert ticket.subject == "My laptop does not boot"
    assert ticket.team == "support"  # from channels.yaml
    customer = Customer.get_by_id(ticket.requester_id)
    assert (customer.email, customer.name, customer.language) == (
        "ann@customer.example", "Ann", "pl")
    thread = ChatThread.get(ChatThread.ticket == ticket.id)
    assert (thread.channel, thread.thread_root, thread.mode) == (ROOM, first.message_id, "help")
    # the acknowledgment goes to the thread, not by mail
    assert posts(ticket.id) == ["acknowledgment"]
    acknowledgment = Outbox.get((Outbox.ticket == ticket.id)
                                & (Outbox.kind == "acknowledgment"))
    assert acknowledgment.state == "chat"


def test_the_same_event_twice_is_stored_once(runtime) -> None:
    first = event(ANN, text="Printer jam")
    assert store_chat_event(first) is not None
    assert store_chat_event(first) is None  # the platform's retry
    assert Inbound.select().where(Inbound.channel == "matrix").count() == 1


def test_postdesk_inbound_says_a_chat_row_is_a_thread_reply_of_its_platform(runtime) -> None:
    """An operator reading `postdesk inbound` sees a chat event as one, not as a mail of an
    unknown sender found by a reply address it never had."""
    first = event(ANN, text="Scanner offline")
    ticket_id = run(runtime, first).ticket_id
    reply = run(runtime, event(ANN, text="Still offline", thread=first.message_id))
    assert reply.ticket_id == ticket_id
    assert reply.reason == "follow-up in the matrix thread"

    out = Console(width=250, record=True)
    out.print(inbound_table(views.inbound_rows()))
    listed = out.export_text()
    assert "(matrix event)" in listed and "(unknown)" not in listed
    assert "follow-up in the matrix thread" in listed and "reply-address" not in listed


def test_thread_replies_join_the_ticket_and_agents_reactions_resolve(runtime) -> None:
    first = event(ANN, text="VPN is down")
    ticket_id = run(runtime, first).ticket_id
    root = first.message_id

    answer = run(runtime, event(AGENT, text="Please restart the client.", thread=root))
    again = run(runtime, event(ANN, text="Still down after a restart", thread=root))
    resolved = run(runtime, event(AGENT, kind="reaction", reaction="✅", message_id=root))

    assert answer.ticket_id == again.ticket_id == resolved.ticket_id == ticket_id
    messages = list(Message.select().where(Message.ticket == ticket_id).order_by(Message.id))
    assert [(m.direction, m.visibility, m.author_email, m.text) for m in messages] == [
        ("in", "public", "ann@customer.example", "VPN is down"),
        ("out", "public", "agent@example.com", "Please restart the client."),
        ("in", "public", "ann@customer.example", "Still down after a restart"),
    ]
    assert Ticket.get_by_id(ticket_id).status == "resolved"
    # the agent's answer typed in the thread is not posted again; the resolution is, and
    # it asks the satisfaction question itself: the [csat] survey is not posted twice but
    # counts as asked
    assert posts(ticket_id) == ["acknowledgment", "status_changed"]
    [survey] = CsatSurvey.select().where(CsatSurvey.ticket == ticket_id)
    assert survey.sent_at is not None and survey.rating is None
    detail = ticket_detail(ticket_id)
    assert detail is not None and detail["channel"] == "matrix"
    assert [m["channel"] for m in detail["messages"]] == ["matrix"] * 3


def test_a_chat_user_whose_email_is_not_an_agents_gets_no_agent_power(runtime) -> None:
    first = event(ANN, text="Mouse broken")
    ticket_id = run(runtime, first).ticket_id

    forged = run(runtime, event(FORGER, text="#status resolved\nDone.",
                                thread=first.message_id))
    no_email = run(runtime, event(NO_EMAIL, text="#status closed", thread=first.message_id))
    reaction = run(runtime, event(FORGER, kind="reaction", reaction="✅",
                                  message_id=first.message_id))

    assert Ticket.get_by_id(ticket_id).status != "resolved"
    assert Ticket.get_by_id(ticket_id).status != "closed"
    assert reaction.state == "ignored" and "not an agent" in reaction.reason
    stored = {m.author_email: m.direction for m in
              Message.select().where(Message.ticket == ticket_id)}
    # their words are customers' (participants') messages, never an agent's answer
    assert stored["mallory@customer.example"] == "in"
    assert stored["matrix.bob_chat.example@chat.invalid"] == "in"
    assert forged.ticket_id == no_email.ticket_id == ticket_id


def test_events_from_a_room_not_in_channels_yaml_change_nothing(runtime) -> None:
    outcome = run(runtime, event(ANN, text="Hello?", room="!other:chat.example"))
    assert outcome.state == "ignored" and "not in rules/channels.yaml" in outcome.reason
    assert Ticket.select().count() == 0


def test_a_keycap_on_the_satisfaction_question_records_the_rating(runtime) -> None:
    first = event(ANN, text="Keyboard sticky")
    ticket_id = run(runtime, first).ticket_id
    run(runtime, event(AGENT, kind="reaction", reaction="✅", message_id=first.message_id))
    question = ChatOutbox.get((ChatOutbox.ticket == ticket_id)
                              & (ChatOutbox.kind == "status_changed"))
    question.platform_message_id = "$question"
    question.state = "sent"
    question.save()

    by_agent = run(runtime, event(AGENT, kind="reaction", reaction="2️⃣",
                                  message_id="$question"))
    rated = run(runtime, event(ANN, kind="reaction", reaction="4️⃣", message_id="$question"))

    assert by_agent.state == "ignored"
    assert rated.state == "done"
    [rating] = Event.select().where((Event.ticket == ticket_id)
                                    & (Event.kind == "satisfaction.rated"))
    assert rating.data == {"rating": 4, "scale": "1-5", "comment": "", "channel": "matrix",
                           "resolution": 1, "changed": False}
    assert posts(ticket_id)[-1] == "satisfaction_thanks"


def test_new_tickets_go_to_triage_where_agents_reply_internally_unless_public(
        runtime) -> None:
    ticket_id = run(runtime, event(ANN, text="Monitor flickers")).ticket_id
    triage = ChatOutbox.get((ChatOutbox.ticket == ticket_id)
                            & (ChatOutbox.kind == "triage_ticket"))
    assert (triage.channel, triage.thread_id) == (TRIAGE, None)
    record_posted(triage.id, "$triage_root", datetime(2026, 12, 7, 10, 1, tzinfo=UTC))

    note = run(runtime, event(AGENT, text="Probably the cable.", thread="$triage_root",
                              room=TRIAGE))
    public = run(runtime, event(AGENT, text="#public\nPlease try another cable.",
                                thread="$triage_root", room=TRIAGE))
    stranger = run(runtime, event(ANN, text="hello?", thread="$triage_root", room=TRIAGE))

    assert note.ticket_id == public.ticket_id == ticket_id
    assert stranger.state == "ignored" and "only agents" in stranger.reason
    answers = [(m.visibility, m.text) for m in Message.select().where(
        (Message.ticket == ticket_id) & (Message.direction == "out")).order_by(Message.id)]
    assert answers == [("internal", "Probably the cable."),
                       ("public", "Please try another cable.")]
    # the public answer reaches the requester in the help thread; the note does not
    assert posts(ticket_id) == ["acknowledgment", "agent_reply"]

    # the ticket's SLA warnings reach its triage thread (and not the requester's)
    post_sla_crossing(ticket_id, {"clock": "resolution", "label": "75%",
                                  "due_at": "2026-12-07T14:00:00+00:00"}, runtime,
                      datetime(2026, 12, 7, 11, 0, tzinfo=UTC))
    warning = ChatOutbox.get((ChatOutbox.ticket == ticket_id)
                             & (ChatOutbox.kind == "sla_warning"))
    assert (warning.channel, warning.thread_id) == (TRIAGE, "$triage_root")
    assert render_post("sla_warning", warning.context, "en", runtime.renderer).text == (
        f"Ticket #{ticket_id}: SLA resolution at 75%, due 2026-12-07 14:00 UTC.")


def test_public_and_the_answer_on_one_line_answer_the_customer(runtime) -> None:
    """Matrix's triage post says "#public … → Reply to customer": an agent writes the
    answer on the same line, as people do in chat, and the requester gets it."""
    ticket_id = run(runtime, event(ANN, text="Dock does not charge")).ticket_id
    triage = ChatOutbox.get((ChatOutbox.ticket == ticket_id)
                            & (ChatOutbox.kind == "triage_ticket"))
    record_posted(triage.id, "$triage_one_line", datetime(2026, 12, 7, 10, 1, tzinfo=UTC))

    public = run(runtime, event(AGENT, text="#public We ordered a new dock for you.",
                                thread="$triage_one_line", room=TRIAGE))

    assert public.state == "done" and "problem" not in public.reason
    answers = [(m.visibility, m.text) for m in Message.select().where(
        (Message.ticket == ticket_id) & (Message.direction == "out"))]
    assert answers == [("public", "We ordered a new dock for you.")]
    assert posts(ticket_id) == ["acknowledgment", "agent_reply"]
    assert not Event.select().where((Event.ticket == ticket_id)
                                    & (Event.kind == "commands.rejected")).exists()


def test_a_screenshot_in_the_thread_becomes_a_ticket_attachment(runtime) -> None:
    first = event(ANN, text="Error on screen")
    ticket_id = run(runtime, first).ticket_id
    screenshot = ChatFile("screen.png", "image/png", PNG)
    shot = replace(event(ANN, text="Here it is", thread=first.message_id),
                   files=(screenshot,))

    run(runtime, shot)

    message = Message.get((Message.ticket == ticket_id) & (Message.text == "Here it is"))
    [(name, content_type, data)] = [(f.filename, f.content_type, f.data)
                                    for f in attachment_files(ticket_lookups.attached_files(
                                        message.id))]
    assert (name, content_type, data) == ("screen.png", "image/png", PNG)


def test_reply_to_customer_makes_the_pressers_next_triage_message_public_once(
        runtime) -> None:
    ticket_id = run(runtime, event(ANN, text="Dock not charging")).ticket_id
    triage = ChatOutbox.get((ChatOutbox.ticket == ticket_id)
                            & (ChatOutbox.kind == "triage_ticket"))
    post = render_post("triage_ticket", triage.context, "en", runtime.renderer)
    assert post.buttons[0].action == "reply_to_customer"
    record_posted(triage.id, "$dock_root", datetime(2026, 12, 7, 10, 1, tzinfo=UTC))

    def press(user: ChatUser) -> Outcome:
        return run(runtime, replace(event(user, kind="action", message_id="$dock_root",
                                          room=TRIAGE), action="reply_to_customer"))

    def say(text: str) -> None:
        run(runtime, event(AGENT, text=text, thread="$dock_root", room=TRIAGE))

    assert press(FORGER).state == "ignored"
    say("Looks like the dock firmware.")
    pressed = press(AGENT)
    assert pressed.state == "done" and pressed.ticket_id == ticket_id
    say("Please unplug the dock for ten seconds.")
    say("Told her to power-cycle it.")
    # the press is on the ticket, and the thread says what it does
    [armed] = Event.select().where((Event.ticket == ticket_id)
                                   & (Event.kind == "chat.reply_to_customer"))
    assert armed.actor == "agent@example.com"
    confirmation = ChatOutbox.get((ChatOutbox.ticket == ticket_id)
                                  & (ChatOutbox.kind == "reply_to_customer"))
    assert (confirmation.channel, confirmation.thread_id) == (TRIAGE, "$dock_root")
    assert render_post("reply_to_customer", confirmation.context, "en",
                       runtime.renderer).text == (
        f"Smith: your next message in this thread (within 10 minutes) goes to the customer "
        f"of ticket #{ticket_id}.")
    # a press that expired unused makes nothing public
    press(AGENT)
    latest = Event.select().where((Event.ticket == ticket_id)
                                  & (Event.kind == "chat.reply_to_customer")) \
        .order_by(Event.id.desc()).get()
    Event.update(data={**latest.data, "until": "2026-01-01T00:00:00+00:00"}) \
        .where(Event.id == latest.id).execute()
    say("Firmware 2.1 fixes it, noted for later.")

    answers = [(m.visibility, m.text) for m in Message.select().where(
        (Message.ticket == ticket_id) & (Message.direction == "out")).order_by(Message.id)]
    assert answers == [("internal", "Looks like the dock firmware."),
                       ("public", "Please unplug the dock for ten seconds."),
                       ("internal", "Told her to power-cycle it."),
                       ("internal", "Firmware 2.1 fixes it, noted for later.")]
    # only the one public answer reaches the requester's help thread
    assert posts(ticket_id) == ["acknowledgment", "agent_reply"]


def test_a_chat_requester_silent_for_mail_after_silence_hours_gets_mail_as_well(
        runtime) -> None:
    rules = runtime.settings.path(runtime.settings.paths.rules)
    (rules / "channels.yaml").write_text(CHANNELS + "mail_after_silence_hours: 2\n",
                                         encoding="utf-8")
    desk = Runtime(runtime.settings)
    assert desk.channels.mail_after_silence_hours == 2
    first = event(ANN, text="VPN drops every hour")
    ticket_id = run(desk, first).ticket_id

    def answer(text: str) -> Outbox:
        run(desk, event(AGENT, text=text, thread=first.message_id))
        return Outbox.select().where((Outbox.ticket == ticket_id)
                                     & (Outbox.kind == "agent_reply")) \
            .order_by(Outbox.id.desc()).get()

    # Ann wrote a moment ago: the answer is in her thread only
    assert answer("Which client version?").state == "chat"
    Message.update(created_at=datetime(2026, 1, 1, tzinfo=UTC)).where(
        (Message.ticket == ticket_id) & (Message.author_email == "ann@customer.example")) \
        .execute()
    # silent in chat for longer than 2 hours: posted in the thread and mailed to her
    mailed = answer("Please update to 5.2 and tell us.")
    assert mailed.state != "chat" and mailed.recipient == "ann@customer.example"
    assert [kind for kind in posts(ticket_id) if kind == "agent_reply"] == []
    # she answers in the thread again: back to chat only
    run(desk, event(ANN, text="Updated, looks fine.", thread=first.message_id))
    assert answer("Great, closing it then.").state == "chat"


def test_a_mail_customer_is_known_in_chat_by_verified_email_only(runtime) -> None:
    from postdesk.chat.channels import DirectNotices
    from postdesk.tickets.chat_direct import notify_in_chat

    ticket = Ticket.get_by_id(run(runtime, event(ANN, text="Scanner broken")).ticket_id)
    bob = Ticket.get_by_id(run(runtime, event(NO_EMAIL, text="Mouse broken")).ticket_id)
    bob_address = Customer.get_by_id(bob.requester_id).email
    assert bob_address.endswith("@chat.invalid")
    notices = DirectNotices("matrix", frozenset({"agent_reply"}))
    now = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)

    def mail(recipient: str, kind: str = "agent_reply") -> Outbox:
        return Outbox(kind=kind, recipient=recipient, language="de",
                      context={"ticket": {"id": ticket.id}, "message": {"text": "Done."}})

    direct = notify_in_chat(ticket, mail("Ann@Customer.example"), now, notices)
    assert direct is not None
    row = ChatOutbox.get_by_id(direct)
    assert (row.platform, row.channel, row.thread_id, row.language, row.kind) == (
        "matrix", ANN.user_id, None, "de", "agent_reply")
    assert row.context["direct_to"] == ANN.user_id
    assert row.context["message"] == {"text": "Done."}
    # an account without a verified email, another platform, a mail not chosen, off
    assert notify_in_chat(bob, mail(bob_address), now, notices) is None
    assert notify_in_chat(ticket, mail("ann@customer.example"), now,
                          DirectNotices("slack", frozenset({"agent_reply"}))) is None
    assert notify_in_chat(ticket, mail("ann@customer.example", "status_changed"), now,
                          notices) is None
    assert notify_in_chat(ticket, mail("ann@customer.example"), now, None) is None
    # the display name is nobody's identity: another Ann by mail is unknown in chat
    assert notify_in_chat(ticket, mail("ann@elsewhere.example"), now, notices) is None


def test_a_thread_moved_to_a_new_ticket_belongs_to_its_new_requester(runtime) -> None:
    """A reply in the thread of a ticket closed too long ago opens a new ticket whose
    requester is the reply's author: their account is who the thread stands for now (the
    rating of its closing and direct messages to its requester go to them, not to the
    thread's first author)."""
    from postdesk.store.chat_store import known_account

    first = event(ANN, text="Door badge broken")
    old = run(runtime, first).ticket_id
    run(runtime, event(AGENT, kind="reaction", reaction="✅", message_id=first.message_id))
    Ticket.update(updated_at=datetime(2020, 1, 1, tzinfo=UTC)).where(Ticket.id == old).execute()

    new = run(runtime, event(FORGER, text="Mine is broken too", thread=first.message_id))

    assert new.ticket_id not in (None, old)
    assert Customer.get_by_id(Ticket.get_by_id(new.ticket_id).requester_id).email == \
        "mallory@customer.example"
    thread = ChatThread.get(ChatThread.thread_root == first.message_id)
    assert (thread.ticket_id, thread.user_id) == (new.ticket_id, FORGER.user_id)
    moved = known_account("mallory@customer.example", "matrix")
    assert moved is not None and moved.user_id == FORGER.user_id
    assert known_account("ann@customer.example", "matrix") is None
