"""The chat mapping on plain data: rules/channels.yaml read with file:line errors, and what
each chat event means (new ticket, thread message, an agent's reaction or button, a
rating, ignored) given what the store knows of its thread."""

from __future__ import annotations

from dataclasses import replace

import pytest

from postdesk.chat.channels import parse_channels
from postdesk.chat.mapping import (
    Commands,
    Hold,
    Ignore,
    NewTicket,
    Rating,
    ReplyToCustomer,
    ThreadFacts,
    ThreadMessage,
    customer_address,
    decide,
)
from postdesk.chat.model import ChatEvent, ChatUser
from postdesk.errors import RuleError

BOOK = parse_channels("""channels:
  - platform: slack
    channel: C1
    mode: help
    team: hardware
    request_type: incident
  - platform: slack
    channel: C2
    create_on: reaction
  - platform: slack
    channel: C3
    mode: triage
reactions:
  white_check_mark: {status: resolved}
  eyes: {assign: me}
""")
ANN = ChatUser("slack", "U_ANN", email="ann@customer.example", display_name="Ann")
AGENT = ChatUser("slack", "U_AGENT", email="agent@example.com", display_name="Agent")
OPEN = ThreadFacts(ticket_id=7, requester_user_id="U_ANN")


def chat(user: ChatUser = ANN, *, channel: str = "C1", kind: str = "message",
         text: str = "Laptop broken", thread: str | None = None, message: str = "1.1",
         reaction: str | None = None, action: str | None = None,
         value: str | None = None) -> ChatEvent:
    return ChatEvent(platform="slack", event_id="Ev1", kind=kind,  # type: ignore[arg-type]
                     workspace="T1", channel=channel, user=user, message_id=message,
                     thread_id=thread, text=text, reaction=reaction, action=action,
                     action_value=value)


def test_a_top_level_message_in_a_help_channel_opens_a_ticket_of_its_team() -> None:
    decision = decide(chat(), BOOK, ThreadFacts(), is_agent=False)
    assert isinstance(decision, NewTicket)
    origin = decision.origin
    assert (origin.team, origin.request_type, origin.thread_root, origin.user_id) == (
        "hardware", "incident", "1.1", "U_ANN")


def test_a_reply_in_a_tickets_thread_joins_it_and_an_unknown_thread_is_ignored() -> None:
    reply = chat(thread="1.1", message="1.2", text="Since Monday")
    joined = decide(reply, BOOK, OPEN, is_agent=False)
    assert isinstance(joined, ThreadMessage) and joined.ticket_id == 7
    assert joined.origin.thread_root == "1.1"
    assert isinstance(decide(reply, BOOK, ThreadFacts(), is_agent=False), Ignore)


def test_create_on_reaction_keeps_the_message_until_the_ticket_reaction() -> None:
    first = chat(channel="C2")
    assert isinstance(decide(first, BOOK, ThreadFacts(), is_agent=False), Hold)
    ticket = chat(AGENT, channel="C2", kind="reaction", reaction="ticket")
    decision = decide(ticket, BOOK, ThreadFacts(held_message=41), is_agent=True)
    assert isinstance(decision, NewTicket) and decision.from_inbound == 41
    # 🎫 on a message the desk did not keep opens nothing
    assert isinstance(decide(ticket, BOOK, ThreadFacts(), is_agent=True), Ignore)


def test_reactions_and_buttons_are_an_agents_commands_only() -> None:
    resolve = chat(AGENT, kind="reaction", reaction="white_check_mark")
    resolved = decide(resolve, BOOK, OPEN, is_agent=True)
    assert isinstance(resolved, Commands)
    assert (resolved.ticket_id, resolved.text) == (7, "#status resolved")
    refused = decide(chat(kind="reaction", reaction="white_check_mark"), BOOK, OPEN,
                     is_agent=False)
    assert isinstance(refused, Ignore) and "not an agent" in refused.reason
    button = decide(chat(AGENT, kind="action", action="assign_me"), BOOK, OPEN, is_agent=True)
    assert isinstance(button, Commands) and button.text == "#assign me"
    assert isinstance(decide(chat(kind="action", action="resolve"), BOOK, OPEN,
                             is_agent=False), Ignore)
    unmapped = decide(chat(AGENT, kind="reaction", reaction="tada"), BOOK, OPEN, is_agent=True)
    assert isinstance(unmapped, Ignore)


def test_ratings_count_from_the_requester_only() -> None:
    assert decide(chat(kind="reaction", reaction="4️⃣"), BOOK, OPEN,
                  is_agent=False) == Rating(7, 4)
    assert decide(chat(kind="action", action="csat", value="2"), BOOK, OPEN,
                  is_agent=False) == Rating(7, 2)
    assert isinstance(decide(chat(AGENT, kind="reaction", reaction="5️⃣"), BOOK, OPEN,
                             is_agent=True), Ignore)
    assert isinstance(decide(chat(kind="action", action="csat", value="9"), BOOK, OPEN,
                             is_agent=False), Ignore)


def test_in_a_triage_channel_only_agents_in_a_tickets_thread_count() -> None:
    reply = chat(AGENT, channel="C3", thread="9.9", message="9.10", text="Cable?")
    joined = decide(reply, BOOK, OPEN, is_agent=True)
    assert isinstance(joined, ThreadMessage) and joined.origin.mode == "triage"
    assert isinstance(decide(chat(channel="C3", thread="9.9"), BOOK, OPEN, is_agent=False),
                      Ignore)
    top_level = decide(chat(AGENT, channel="C3"), BOOK, ThreadFacts(), is_agent=True)
    assert isinstance(top_level, Ignore)


def test_reply_to_customer_is_an_agents_button_of_triage_threads_only() -> None:
    press = chat(AGENT, channel="C3", kind="action", action="reply_to_customer",
                 message="9.9")
    armed = decide(press, BOOK, OPEN, is_agent=True)
    assert isinstance(armed, ReplyToCustomer)
    assert (armed.ticket_id, armed.minutes) == (7, 10)  # the default
    assert (armed.origin.thread_root, armed.origin.user_id) == ("9.9", "U_AGENT")
    # not for a customer (who has no business in triage anyway), nor in a help thread,
    # where an agent's replies are public already, nor on a post without a ticket
    assert isinstance(decide(replace(press, user=ANN), BOOK, OPEN, is_agent=False), Ignore)
    in_help = decide(replace(press, channel="C1"), BOOK, OPEN, is_agent=True)
    assert isinstance(in_help, Ignore) and "outside a triage channel" in in_help.reason
    assert isinstance(decide(press, BOOK, ThreadFacts(), is_agent=True), Ignore)
    longer = parse_channels("channels:\n  - {platform: slack, channel: C3, mode: triage}\n"
                            "reply_to_customer_minutes: 30\n")
    assert decide(press, longer, OPEN, is_agent=True) == replace(armed, minutes=30)


def test_channels_not_listed_and_bots_are_ignored() -> None:
    assert "not in rules/channels.yaml" in decide(
        chat(channel="C9"), BOOK, ThreadFacts(), is_agent=False).reason  # type: ignore[union-attr]
    bot = ChatUser("slack", "B1", is_bot=True)
    assert isinstance(decide(chat(bot), BOOK, ThreadFacts(), is_agent=False), Ignore)


def test_identity_is_the_verified_email_never_the_display_name() -> None:
    assert customer_address(ChatUser("slack", "U1", email="Ann@Customer.Example",
                                     display_name="agent@example.com")) == \
        "ann@customer.example"
    assert customer_address(ChatUser("matrix", "@bob:chat.example",
                                     display_name="agent@example.com")) == \
        "matrix.bob_chat.example@chat.invalid"


@pytest.mark.parametrize(("text", "error"), [
    ("channels:\n  - platform: slak\n    channel: C1\n",
     "rules/channels.yaml:2: platform must be one of slack, teams, matrix, not 'slak' "
     "(did you mean 'slack'?)"),
    ("channels:\n  - platform: slack\n    channel: C1\n    mode: hepl\n",
     "rules/channels.yaml:4: mode must be one of help, triage, not 'hepl' "
     "(did you mean 'help'?)"),
    ("channels:\n  - platform: slack\n", "rules/channels.yaml:2: item 1 needs the key "
                                         "'channel'"),
    ("channels:\n  - {platform: slack, channel: C1}\n  - {platform: slack, channel: C1}\n",
     "rules/channels.yaml:3: channel C1 of slack is already listed at rules/channels.yaml:2"),
    ("channels:\n  - {platform: slack, channel: C1, mode: triage, team: x}\n",
     "rules/channels.yaml:2: 'team' is for help channels; this one is mode triage"),
    ("reactions:\n  ok: {stauts: resolved}\n",
     "rules/channels.yaml:2: unknown command 'stauts' for reaction 'ok' "
     "(did you mean 'status'?); a reaction may use: status, priority, assign, tag"),
    ("channels: []\nreply_to_customer_minutes: 0\n",
     "rules/channels.yaml:2: reply_to_customer_minutes must be a whole number of minutes "
     "from 1 to 1440, not 0"),
    ("channels: []\nreply_to_customer_minutes: soon\n",
     "rules/channels.yaml:2: reply_to_customer_minutes must be a whole number of minutes "
     "from 1 to 1440, not 'soon'"),
    ("channels: []\nmail_after_silence_hours: -1\n",
     "rules/channels.yaml:2: mail_after_silence_hours must be a whole number of hours "
     "from 1 to 8760, not -1"),
    ("channels: []\nnotify_mail_requesters_in_chat:\n  platform: slak\n",
     "rules/channels.yaml:3: platform must be one of slack, teams, matrix, not 'slak' "
     "(did you mean 'slack'?)"),
    ("channels: []\nnotify_mail_requesters_in_chat:\n  platform: matrix\n"
     "  events: [agent_reply, status_change]\n",
     "rules/channels.yaml:4: event must be one of acknowledgment, agent_reply, "
     "status_changed, not 'status_change' (did you mean 'status_changed'?)"),
    ("channels: []\nnotify_mail_requesters_in_chat:\n  events: [agent_reply]\n",
     "rules/channels.yaml:2: 'notify_mail_requesters_in_chat' needs the key 'platform'"),
    ("channels: []\nnotify_mail_requesters_in_chat:\n  platform: slack\n  when: always\n",
     "rules/channels.yaml:4: unknown key 'when'"),
])
def test_a_bad_channels_file_names_file_and_line(text: str, error: str) -> None:
    with pytest.raises(RuleError) as raised:
        parse_channels(text)
    assert str(raised.value) == error


def test_the_shipped_channels_file_enables_no_channel() -> None:
    from postdesk.config.shipped import shipped

    book = parse_channels((shipped("rules") / "channels.yaml").read_text(encoding="utf-8"))
    assert book.channels == ()
    assert book.reaction_commands("✅") == "#status resolved"
    assert (book.reply_to_customer_minutes, book.mail_after_silence_hours) == (10, None)
    assert book.direct_notices is None  # mail requesters hear in chat only when enabled


def test_notifying_mail_requesters_in_chat_names_a_platform_and_its_mails() -> None:
    book = parse_channels("notify_mail_requesters_in_chat: {platform: slack}\n")
    assert book.direct_notices is not None
    assert book.direct_notices.platform == "slack"
    assert book.direct_notices.kinds == {"agent_reply", "status_changed",
                                         "resolved_without_reply", "duplicate_resolved"}
    only = parse_channels("notify_mail_requesters_in_chat:\n  platform: matrix\n"
                          "  events: [acknowledgment]\n").direct_notices
    assert only is not None and only.kinds == {"acknowledgment"}
    from postdesk.config.live_specs import channels  # what `postdesk check` says of it

    assert channels(lambda: None).describe(book) == (  # type: ignore[arg-type,return-value]
        "0 chat channels, 0 reactions, mail requesters also told in slack")


def test_a_triage_channels_if_is_checked_as_a_queues() -> None:
    from postdesk.automation.model import Vocabulary
    from postdesk.ticket_queues.loader import triage_conditions

    text = ("channels:\n  - platform: matrix\n    channel: '!t:x'\n    mode: triage\n"
            "    if:\n      team: hardware\n      body_contains: printer\n")
    with pytest.raises(RuleError) as raised:
        parse_channels(text, conditions=triage_conditions(Vocabulary()))
    assert str(raised.value).startswith("rules/channels.yaml:7: 'body_contains' is about a "
                                        "mail or an event; a queue lists tickets")
    good = parse_channels(text.replace("      body_contains: printer\n", ""),
                          conditions=triage_conditions(Vocabulary()))
    assert good.triage[0].condition.uses("team")
