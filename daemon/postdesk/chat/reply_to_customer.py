""""Reply to customer" in a triage thread: the presser's next message there is public.

In a triage thread an agent's reply is an internal note (issue 20: the default that
protects customers from a slip). The button "Reply to customer" on the ticket's triage
post arms a public reply: the next message *of that agent* *in that thread*, written
within `reply_to_customer_minutes` (rules/channels.yaml, default 10), answers the
customer (by mail or in their chat thread, wherever they are). One press, one public
message; a press that was not used expires. The press is kept as the ticket event
`chat.reply_to_customer` (who, which thread, until when), so `ticket show` tells why
a triage message went public. Any later message of that agent on the ticket uses the
press up, so an arm never makes two messages public.

Pure: which press (if any) is live for a message, over the events' plain data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: the button's action id, as the edges send it back
REPLY_TO_CUSTOMER = "reply_to_customer"
#: the ticket event that records a press
ARMED_EVENT = "chat.reply_to_customer"


@dataclass(frozen=True)
class ReplyArm:
    """One press of "Reply to customer": whose next message in which thread, until when."""

    platform: str
    channel: str
    thread_root: str
    user_id: str
    inbound_id: int  # the press's own inbound row: messages after it may use it
    until: datetime

    def as_data(self) -> dict[str, Any]:
        """The event's data."""
        return {"platform": self.platform, "channel": self.channel,
                "thread_root": self.thread_root, "user_id": self.user_id,
                "inbound_id": self.inbound_id, "until": self.until.isoformat()}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ReplyArm | None:
        """The press an event records; None for data that is not one (never guessed)."""
        try:
            return cls(platform=str(data["platform"]), channel=str(data["channel"]),
                       thread_root=str(data["thread_root"]), user_id=str(data["user_id"]),
                       inbound_id=int(data["inbound_id"]),
                       until=datetime.fromisoformat(str(data["until"])))
        except (KeyError, TypeError, ValueError):
            return None

    def covers(self, platform: str, channel: str, thread_root: str, user_id: str,
               inbound_id: int, now: datetime) -> bool:
        """Whether this press makes that message public (same agent and thread, after the
        press, before it expired)."""
        return ((self.platform, self.channel, self.thread_root, self.user_id)
                == (platform, channel, thread_root, user_id)
                and self.inbound_id < inbound_id and now <= self.until)


def live_arm(arms: Iterable[ReplyArm], *, platform: str, channel: str, thread_root: str,
             user_id: str, inbound_id: int, now: datetime) -> ReplyArm | None:
    """The newest press that covers the message, or None (the message is a note)."""
    covering = [arm for arm in arms
                if arm.covers(platform, channel, thread_root, user_id, inbound_id, now)]
    return max(covering, key=lambda arm: arm.inbound_id, default=None)
