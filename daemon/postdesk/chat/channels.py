"""rules/channels.yaml -> ChannelBook: which chat channels the desk works in, and how.

    channels:
      - platform: slack            # slack | teams | matrix
        channel: C0123456789       # the platform's channel / conversation / room id
        mode: help                 # help: requesters ask here; triage: agents work here
        team: hardware             # help: the team and request type of its tickets
        request_type: incident
        create_on: message         # message (default) | reaction: only after a 🎫
      - platform: slack
        channel: C0987654321
        mode: triage               # new tickets matching `if` are posted here
        if: {team: hardware, priority: [high, urgent]}   # the conditions of queues
    reactions:                     # an agent's reaction on a ticket's thread root
      white_check_mark: {status: resolved}
      "✅": {status: resolved}
    reply_to_customer_minutes: 10  # how long a press of "Reply to customer" in a triage
                                   # thread makes the agent's next message there public
    mail_after_silence_hours: 24   # a chat requester silent in chat this long gets the
                                   # desk's customer mail by mail too (default: off)
    notify_mail_requesters_in_chat:  # a customer who wrote by mail and whose verified email
      platform: matrix             # is a chat account the desk has seen gets a direct
      events: [agent_reply, status_changed]  # message too (slack | teams | matrix; default: off)

`notify_mail_requesters_in_chat` events: `agent_reply` (an agent's public answer),
`status_changed` (a status change, a closing, a reopening, in customer terms) and
`acknowledgment` (the ticket was opened); without `events`, the first two. The mail
is sent all the same: email stays the spine.

Every problem is `rules/channels.yaml:LINE: ...`. Events from a channel that is
not listed are not stored (the edges see every channel the bot is in; the desk
works only where the admin said). A reaction's commands are the ones agents
type in mail (`#status resolved`): they are parsed by the same parser and
honoured only for agents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from postdesk.chat.model import PLATFORMS
from postdesk.config.rulesfile import Node, YamlDocument, parse_yaml, suggest

CHANNELS_FILE = "channels.yaml"
MODES = ("help", "triage")
CREATE_ON = ("message", "reaction")
#: the reaction that turns a message into a ticket in a `create_on: reaction` channel
TICKET_REACTIONS = frozenset({"ticket", "🎫", "admission_tickets", "🎟️", "🎟"})
#: the commands a reaction may carry (each becomes `#name value` for the commands parser)
REACTION_COMMANDS = ("status", "priority", "assign", "tag")
_CHANNEL_KEYS = ("platform", "workspace", "channel", "mode", "team", "request_type",
                 "create_on", "if")
#: how long "Reply to customer" waits for the agent's next message, unless the file says
DEFAULT_REPLY_MINUTES = 10
_WORD = re.compile(r"[\w.:@!-]{1,200}")
#: `notify_mail_requesters_in_chat` events -> the customer mails (templates) they stand for
DIRECT_EVENTS: dict[str, frozenset[str]] = {
    "acknowledgment": frozenset({"acknowledgment"}),
    "agent_reply": frozenset({"agent_reply"}),
    "status_changed": frozenset({"status_changed", "resolved_without_reply",
                                 "duplicate_resolved"}),
}
DEFAULT_DIRECT_EVENTS = ("agent_reply", "status_changed")


@dataclass(frozen=True)
class ChatChannel:
    """One channel of channels.yaml."""

    platform: str
    channel: str
    mode: str = "help"
    team: str | None = None
    request_type: str | None = None
    create_on: str = "message"
    workspace: str | None = None  # None: any workspace
    where: str = ""
    #: triage: which new tickets are posted here (the conditions of queues, compiled by
    #: the caller of `parse_channels`; None: every new ticket)
    condition: Any = None


@dataclass(frozen=True)
class ChannelBook:
    """The desk's chat channels and reaction map."""

    channels: tuple[ChatChannel, ...] = ()
    #: reaction name -> the command text it stands for (`#status resolved`)
    reactions: dict[str, str] = field(default_factory=dict)
    display: str = f"rules/{CHANNELS_FILE}"
    #: triage: how long a press of "Reply to customer" makes the presser's next message
    #: in that thread a public reply
    reply_to_customer_minutes: int = DEFAULT_REPLY_MINUTES
    #: a requester who started in chat and has written nothing there for this many hours
    #: gets the desk's customer mail by mail as well as in the thread; None: never
    mail_after_silence_hours: int | None = None
    #: a mail requester known in chat gets these mails as a direct message too; None: off
    direct_notices: DirectNotices | None = None

    def channel(self, platform: str, channel: str) -> ChatChannel | None:
        """The configured channel an event came from, or None (not ours: not stored)."""
        return next((c for c in self.channels
                     if c.platform == platform and c.channel == channel), None)

    @property
    def triage(self) -> tuple[ChatChannel, ...]:
        return tuple(c for c in self.channels if c.mode == "triage")

    def rooms(self, platform: str) -> tuple[str, ...]:
        """The channel ids of one platform (the Matrix edge joins and reads these rooms)."""
        return tuple(c.channel for c in self.channels if c.platform == platform)

    def reaction_commands(self, reaction: str | None) -> str | None:
        return self.reactions.get(reaction or "")


EMPTY_CHANNELS = ChannelBook()


@dataclass(frozen=True)
class DirectNotices:
    """channels.yaml `notify_mail_requesters_in_chat`: which customer mails of a ticket
    that did not start in chat also go to the customer's chat account, and where."""

    platform: str
    #: the customer mails (template names) that are sent as a direct message too
    kinds: frozenset[str]


#: turns a triage channel's `if:` node into its condition (ticket_queues' conditions)
ConditionCompiler = Callable[[Node], Any]


def parse_channels(text: str, display: str = f"rules/{CHANNELS_FILE}",
                   conditions: ConditionCompiler | None = None) -> ChannelBook:
    return build_channels(parse_yaml(text, display), conditions)


def build_channels(doc: YamlDocument, conditions: ConditionCompiler | None = None
                   ) -> ChannelBook:
    root = doc.root()
    if root.value is None:
        return ChannelBook(display=doc.display)
    root.check_keys(("channels", "reactions", "reply_to_customer_minutes",
                     "mail_after_silence_hours", "notify_mail_requesters_in_chat"))
    channels: list[ChatChannel] = []
    seen: dict[tuple[str, str], str] = {}
    listed = root.get("channels")
    for item in listed.as_list("a list of channels") if listed and listed.value else []:
        found = _channel(item, conditions)
        key = (found.platform, found.channel)
        if key in seen:
            raise item.error(f"channel {found.channel} of {found.platform} is already "
                             f"listed at {seen[key]}")
        seen[key] = found.where
        channels.append(found)
    reactions_node = root.get("reactions")
    reactions = (_reactions(reactions_node) if reactions_node is not None
                 and reactions_node.value is not None else {})
    minutes = _whole(root.get("reply_to_customer_minutes"), "reply_to_customer_minutes",
                     "minutes", 1440)
    silence = _whole(root.get("mail_after_silence_hours"), "mail_after_silence_hours",
                     "hours", 8760)
    direct = root.get("notify_mail_requesters_in_chat")
    return ChannelBook(tuple(channels), reactions, doc.display,
                       DEFAULT_REPLY_MINUTES if minutes is None else minutes, silence,
                       _direct_notices(direct) if direct is not None
                       and direct.value is not None else None)


def _direct_notices(node: Node) -> DirectNotices:
    node.check_keys(("platform", "events"), required=("platform",))
    fields = node.as_mapping("a mapping with platform (slack, teams or matrix) and events")
    platform = _one_of(fields["platform"], "platform", PLATFORMS)
    names: tuple[str, ...] = DEFAULT_DIRECT_EVENTS
    if "events" in fields:
        listed = fields["events"].as_list("a list of events, e.g. [agent_reply, "
                                          "status_changed]")
        if not listed:
            raise fields["events"].error("events is empty: leave it out for agent_reply "
                                         "and status_changed, or list at least one")
        names = tuple(_one_of(item, "event", tuple(DIRECT_EVENTS)) for item in listed)
    return DirectNotices(platform, frozenset().union(*(DIRECT_EVENTS[n] for n in names)))


def _whole(node: Node | None, key: str, unit: str, most: int) -> int | None:
    """A whole number from 1 to `most`, or None when the key is absent or empty."""
    if node is None or node.value is None:
        return None
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise node.error(f"{key} must be a whole number of {unit} from 1 to {most}, "
                         f"not {value!r}")
    return value


def _channel(node: Node, conditions: ConditionCompiler | None) -> ChatChannel:
    node.check_keys(_CHANNEL_KEYS, required=("platform", "channel"))
    fields = node.as_mapping("a channel (a mapping with platform, channel and mode)")
    platform = _one_of(fields["platform"], "platform", PLATFORMS)
    mode = _one_of(fields["mode"], "mode", MODES) if "mode" in fields else "help"
    channel = _word(fields["channel"], "a channel or room id")
    create_on = (_one_of(fields["create_on"], "create_on", CREATE_ON)
                 if "create_on" in fields else "message")
    for only_help in ("team", "request_type", "create_on"):
        if only_help in fields and mode != "help":
            raise fields[only_help].error(f"'{only_help}' is for help channels; this one is "
                                          f"mode {mode}")
    if "if" in fields and mode != "triage":
        raise fields["if"].error("'if' is for triage channels (which new tickets are posted "
                                 "there); this one is mode help")
    return ChatChannel(
        platform=platform, channel=channel, mode=mode,
        team=_word(fields["team"], "a team name") if "team" in fields else None,
        request_type=(_word(fields["request_type"], "a request type")
                      if "request_type" in fields else None),
        create_on=create_on,
        workspace=_word(fields["workspace"], "a workspace id") if "workspace" in fields
        else None,
        where=node.where,
        condition=(conditions(fields["if"]) if "if" in fields and conditions is not None
                   else None))


def _reactions(node: Node) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in node.as_mapping("a mapping of reaction -> commands").items():
        commands = value.as_mapping(f"the commands of reaction '{name}', e.g. "
                                    "{status: resolved}")
        if not commands:
            raise value.error(f"reaction '{name}' needs at least one command, e.g. "
                              "{status: resolved}")
        lines = []
        for command, argument in commands.items():
            if command not in REACTION_COMMANDS:
                raise argument.error(f"unknown command '{command}' for reaction '{name}'"
                                     f"{suggest(command, REACTION_COMMANDS)}; a reaction may "
                                     f"use: {', '.join(REACTION_COMMANDS)}")
            lines.append(f"#{command} {_word(argument, f'the value of {command}')}")
        found[str(name)] = "\n".join(lines)
    return found


def _one_of(node: Node, key: str, choices: tuple[str, ...]) -> str:
    value = node.as_str(f"one of {', '.join(choices)}")
    if value not in choices:
        raise node.error(f"{key} must be one of {', '.join(choices)}, not '{value}'"
                         f"{suggest(value, choices)}")
    return value


def _word(node: Node, what: str) -> str:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise node.error(f"expected {what}, not {value!r}")
    text = str(value).strip()
    if not _WORD.fullmatch(text):
        raise node.error(f"expected {what} (letters, digits and . : @ ! - _), not {text!r}")
    return text
