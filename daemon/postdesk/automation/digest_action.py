"""The `send_queue_digest` action: a queue mailed to agents on a schedule.

    rules:
      - name: morning-digest
        on: schedule
        then:
          - send_queue_digest:
              queue: unassigned                # a queue of rules/queues.yaml
              to: [support, boss@example.com]  # teams (each of their agents) or agents
              at: "08:00"                      # in each recipient's own time zone
              days: [mon, tue, wed, thu, fri]  # default: every day

Each recipient gets the digest once per day, in their language, at the first
schedule scan (every minute) after `at` in their time zone (the agent's
`timezone` in rules/teams.yaml, else the desk's); a desk that was down then
sends it within the hour after, never later and never twice (the outbox
Message-ID is fixed per rule, recipient and day). Recipients must be agents
of rules/teams.yaml: each line carries their signed reply address. The rule
takes no `if:` and no other actions (`postdesk.ticket_queues.schedule` runs it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from typing import Any

from postdesk.automation import params as P
from postdesk.automation.actions import ACTIONS
from postdesk.automation.model import TicketFacts, Vocabulary
from postdesk.automation.registry import ActionDef, ActionOutcome, Param, ParamType, Workspace
from postdesk.config.rulesfile import Node, suggest

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_QUEUE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


def time_of_day(node: Node, vocabulary: Vocabulary) -> time:
    written = node.as_str('a time like "08:00"').strip()
    match = _TIME.fullmatch(written)
    if match is None:
        raise node.error(f"'{written}' is not a time of day; write it like \"08:00\" (quoted)")
    return time(int(match[1]), int(match[2]))


def _days(node: Node, vocabulary: Vocabulary) -> frozenset[int]:
    found: set[int] = set()
    for item in node.as_list("a list of days like [mon, tue]", allow_single=True):
        day = item.as_str("a day").strip().lower()[:3]
        if day not in DAYS:
            raise item.error(f"unknown day '{item.value}'{suggest(day, DAYS)}; days are "
                             f"{', '.join(DAYS)}")
        found.add(DAYS.index(day))
    if not found:
        raise node.error("'days' needs at least one day")
    return frozenset(found)


def _queue(node: Node, vocabulary: Vocabulary) -> str:
    name = node.as_str("a queue name").strip()
    if not _QUEUE.fullmatch(name):
        raise node.error(f"'{name}' is not a queue name of rules/queues.yaml")
    return name


def _recipient(node: Node, vocabulary: Vocabulary) -> str:
    written = node.as_str("a team or an agent's address").strip().lower()
    return P.address(node, vocabulary) if "@" in written else P.TEAM(node, vocabulary)


def recipient_names(node: Node, vocabulary: Vocabulary) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_recipient(item, vocabulary) for item in
                               node.as_list("teams or agent addresses", allow_single=True)))


def _never_per_ticket(p: Mapping[str, Any], t: TicketFacts, w: Workspace) -> ActionOutcome:
    return t, None  # desk-level: postdesk.ticket_queues.schedule sends it


ACTIONS.register(ActionDef(
    "send_queue_digest",
    (Param("queue", ParamType("a queue name", _queue)),
     Param("to", ParamType("teams or agent addresses", recipient_names)),
     Param("at", ParamType('a time of day like "08:00"', time_of_day)),
     Param("days", ParamType("days like [mon, tue, wed, thu, fri]", _days), required=False,
           default=frozenset(range(7)))),
    False, _never_per_ticket, desk_level=True,
    doc="Mail a queue's digest to agents every day (or on `days`) at `at`, their time."))
