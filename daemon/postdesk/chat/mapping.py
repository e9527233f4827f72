"""What a chat event means for the desk: a pure decision over plain facts.

    top-level message in a help channel     -> a new ticket (create_on: message), or kept
                                               until someone reacts with 🎫 (create_on: reaction)
    🎫 on such a kept message                -> the new ticket, from that message
    reply in a ticket's thread              -> a message on the ticket (the requester's: a
                                               customer message; an agent's: a public reply,
                                               its #commands honoured)
    reaction of an agent on a ticket's post -> the commands channels.yaml maps it to
    button Resolve / Reopen / Assign to me  -> #status resolved / #reopen / #assign me
    keycap 1️⃣..5️⃣ or a rating button        -> the requester's satisfaction rating
    button This solved it / I still need help -> the requester's answer to the suggested
                                               articles (`tickets.chat_wait`); anyone
                                               else's press: ignored
    an agent's reply in a triage thread     -> an internal note on its ticket (a public
                                               answer with `#public`); others: ignored
    button Reply to customer (triage)       -> the agent's next message in that thread is
                                               a public answer (`chat.reply_to_customer`)

Whether the author is an agent is decided by the caller from the chat account's
verified email (never the display name). Anything else is ignored, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.chat.channels import TICKET_REACTIONS, ChannelBook, ChatChannel
from postdesk.chat.model import ChatEvent, ChatUser
from postdesk.chat.reply_to_customer import REPLY_TO_CUSTOMER

#: what the buttons of our posts stand for, as the commands an agent types in mail
BUTTON_COMMANDS = {"resolve": "#status resolved", "reopen": "#reopen", "assign_me": "#assign me"}
#: the requester's buttons under an acknowledgment that suggests articles
SOLVED, NEED_HELP = "kb_solved", "kb_need_help"
#: the satisfaction scale of the question posted after resolution
RATING_SCALE = 5
_KEYCAPS = {"1️⃣": 1, "2️⃣": 2, "3️⃣": 3, "4️⃣": 4, "5️⃣": 5,
            "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
#: the domain of the made-up addresses of chat accounts without a verified email:
#: `.invalid` (RFC 2606) can never receive mail, and no agent has such an address
NO_EMAIL_DOMAIN = "chat.invalid"


@dataclass(frozen=True)
class ChatOrigin:
    """Where a message came from in chat: the thread a ticket is (or will be) mapped to."""

    platform: str
    workspace: str
    channel: str
    thread_root: str
    mode: str
    user_id: str
    locale: str | None = None
    team: str | None = None
    request_type: str | None = None


@dataclass(frozen=True)
class ThreadFacts:
    """What the store knows of the thread (or post) the event concerns."""

    ticket_id: int | None = None  # the ticket of the thread, if it has one
    requester_user_id: str = ""  # the chat account that opened it
    held_message: int | None = None  # inbound id of a message kept for a 🎫 reaction


@dataclass(frozen=True)
class NewTicket:
    """Open a ticket from a message (the event's own, or the inbound row `from_inbound`)."""

    origin: ChatOrigin
    from_inbound: int | None = None


@dataclass(frozen=True)
class ThreadMessage:
    """A message in the thread of `ticket_id` (the author's role is decided downstream)."""

    ticket_id: int
    origin: ChatOrigin


@dataclass(frozen=True)
class Commands:
    """An agent's reaction or button: `text` is the commands, as if typed in mail."""

    ticket_id: int
    text: str
    origin: ChatOrigin


@dataclass(frozen=True)
class ReplyToCustomer:
    """An agent pressed "Reply to customer" in a triage thread: their next message there,
    within `minutes`, is a public answer."""

    ticket_id: int
    origin: ChatOrigin
    minutes: int


@dataclass(frozen=True)
class Rating:
    ticket_id: int
    rating: int
    scale: int = RATING_SCALE


@dataclass(frozen=True)
class SuggestionAnswer:
    """The requester pressed "This solved it" (`solved`) or "I still need help"."""

    ticket_id: int
    solved: bool


@dataclass(frozen=True)
class Hold:
    """Kept, no ticket yet: waiting for a 🎫 reaction."""

    reason: str


@dataclass(frozen=True)
class Ignore:
    reason: str


ChatDecision = (NewTicket | ThreadMessage | Commands | ReplyToCustomer | Rating
                | SuggestionAnswer | Hold | Ignore)


def customer_address(user: ChatUser) -> str:
    """The address a chat account is known by: its verified email, else one made from its
    platform id (never its display name)."""
    if user.email and "@" in user.email:
        return user.email.strip().lower()
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in user.user_id.lower())
    return f"{user.platform}.{safe.strip('_')[:150]}@{NO_EMAIL_DOMAIN}"


def origin_of(event: ChatEvent, channel: ChatChannel) -> ChatOrigin:
    return ChatOrigin(platform=event.platform, workspace=event.workspace,
                      channel=event.channel, thread_root=event.thread_root, mode=channel.mode,
                      user_id=event.user.user_id, locale=event.user.locale,
                      team=channel.team, request_type=channel.request_type)


def decide(event: ChatEvent, book: ChannelBook, thread: ThreadFacts, *,
           is_agent: bool) -> ChatDecision:
    """What the event means (see the module docstring)."""
    channel = book.channel(event.platform, event.channel)
    if channel is None:
        return Ignore(f"channel {event.channel} is not in {book.display}")
    if channel.workspace is not None and channel.workspace != event.workspace:
        return Ignore(f"workspace {event.workspace} is not the one {book.display} names "
                      f"for channel {event.channel}")
    if event.user.is_bot:
        return Ignore("a bot's message")
    origin = origin_of(event, channel)
    if channel.mode == "triage":
        if not is_agent:
            return Ignore("only agents work in a triage channel")
        if event.kind == "message" and thread.ticket_id is None:
            return Ignore("a message outside a ticket's thread in a triage channel")
    if event.kind == "message":
        return _message(event, channel, thread, origin)
    if event.kind == "reaction":
        return _reaction(event, book, channel, thread, origin, is_agent=is_agent)
    if event.action == REPLY_TO_CUSTOMER:
        return _reply_to_customer(thread, origin, book, is_agent=is_agent)
    return _action(event, thread, origin, is_agent=is_agent)


def _reply_to_customer(thread: ThreadFacts, origin: ChatOrigin, book: ChannelBook, *,
                       is_agent: bool) -> ChatDecision:
    if thread.ticket_id is None:
        return Ignore(f"button {REPLY_TO_CUSTOMER} on a post without a ticket")
    if origin.mode != "triage":
        return Ignore(f"button {REPLY_TO_CUSTOMER} outside a triage channel (agents' "
                      f"replies in a help thread are public already)")
    if not is_agent:
        return Ignore(f"button {REPLY_TO_CUSTOMER} by someone who is not an agent")
    return ReplyToCustomer(thread.ticket_id, origin, book.reply_to_customer_minutes)


def _message(event: ChatEvent, channel: ChatChannel, thread: ThreadFacts,
             origin: ChatOrigin) -> ChatDecision:
    if thread.ticket_id is not None:
        return ThreadMessage(thread.ticket_id, origin)
    if event.thread_id is not None:
        return Ignore("a reply in a thread that has no ticket")
    if not event.text.strip() and not event.files:
        return Ignore("an empty message")
    if channel.create_on == "reaction":
        return Hold("kept until someone reacts with 🎫 (create_on: reaction)")
    return NewTicket(origin)


def _reaction(event: ChatEvent, book: ChannelBook, channel: ChatChannel, thread: ThreadFacts,
              origin: ChatOrigin, *, is_agent: bool) -> ChatDecision:
    reaction = event.reaction or ""
    if reaction in TICKET_REACTIONS and thread.ticket_id is None:
        if channel.create_on != "reaction" or thread.held_message is None:
            return Ignore("🎫 on a message the desk did not keep")
        return NewTicket(origin, from_inbound=thread.held_message)
    if thread.ticket_id is None:
        return Ignore(f"reaction {reaction} on a message without a ticket")
    rating = _KEYCAPS.get(reaction)
    if rating is not None:
        return _rating(event, thread.ticket_id, thread, rating)
    return _commands(thread.ticket_id, book.reaction_commands(reaction), f"reaction {reaction}",
                     origin, is_agent=is_agent)


def _action(event: ChatEvent, thread: ThreadFacts, origin: ChatOrigin, *,
            is_agent: bool) -> ChatDecision:
    action = event.action or ""
    if thread.ticket_id is None:
        return Ignore(f"button {action} on a post without a ticket")
    if action == "csat":
        value = (event.action_value or "").strip()
        if not value.isdigit() or not 1 <= int(value) <= RATING_SCALE:
            return Ignore(f"rating {value!r} is not 1..{RATING_SCALE}")
        return _rating(event, thread.ticket_id, thread, int(value))
    if action in (SOLVED, NEED_HELP):
        if event.user.user_id != thread.requester_user_id:
            return Ignore(f"button {action} pressed by someone other than the requester "
                          f"(an agent has Resolve)")
        return SuggestionAnswer(thread.ticket_id, solved=action == SOLVED)
    return _commands(thread.ticket_id, BUTTON_COMMANDS.get(action), f"button {action}", origin,
                     is_agent=is_agent)


def _rating(event: ChatEvent, ticket_id: int, thread: ThreadFacts, rating: int
            ) -> ChatDecision:
    """A rating counts from the requester only."""
    if event.user.user_id != thread.requester_user_id:
        return Ignore("a rating from someone other than the requester")
    return Rating(ticket_id, rating)


def _commands(ticket_id: int, commands: str | None, what: str, origin: ChatOrigin, *,
              is_agent: bool) -> ChatDecision:
    """What a reaction or button stands for, for an agent only."""
    if commands is None:
        return Ignore(f"{what} means nothing to the desk (rules/channels.yaml reactions, "
                      f"the buttons of its posts)")
    if not is_agent:
        return Ignore(f"{what} by someone who is not an agent")
    return Commands(ticket_id, commands, origin)
