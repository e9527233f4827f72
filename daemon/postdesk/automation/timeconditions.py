"""Time conditions, mostly for `on: schedule` rules (evaluated every minute).

    if:
      ticket_age: {more_than: 30d}                 # since the ticket was opened
      time_in_status: {more_than: 7d}              # since the last status change
      time_since_customer_message: {more_than: 2d, less_than: 3d}

Durations are a number and a unit, combinable: `30m`, `4h`, `7d`, `1w`,
`1d12h`. They measure wall-clock time up to `now`; `more_than` is inclusive,
`less_than` exclusive, and at least one of them is required. A ticket whose
customer never wrote does not match `time_since_customer_message`.
A schedule rule keeps firing every minute while its conditions hold: make it
change something its own conditions look at (status, a tag) so it fires once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from postdesk.automation import params as P
from postdesk.automation.conditions import CONDITIONS
from postdesk.automation.model import Subject, TicketFacts
from postdesk.automation.registry import ConditionDef, Param
from postdesk.config.rulesfile import Node


def _format(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    days, rest = divmod(seconds, 86400)
    parts = [f"{days}d"] if days else []
    parts += [f"{rest // 3600}h"] if rest // 3600 else []
    parts += [f"{rest % 3600 // 60}m"] if rest % 3600 // 60 or not parts else []
    return sign + " ".join(parts)


def _need_bound(values: Mapping[str, Any], node: Node) -> None:
    if values["more_than"] is None and values["less_than"] is None:
        raise node.error(f"'{node.key}' needs more_than, less_than or both, "
                         f"e.g. {{more_than: 7d}}")


def _elapsed(name: str, label: str, since: Callable[[TicketFacts], datetime | None],
             doc: str) -> None:
    def test(p: Mapping[str, Any], s: Subject) -> bool:
        start = since(s.ticket)
        if start is None:
            return False
        age = s.now - start
        low, high = p["more_than"], p["less_than"]
        return (low is None or age >= low) and (high is None or age < high)

    def describe(p: Mapping[str, Any], s: Subject) -> tuple[str, str]:
        start = since(s.ticket)
        wanted = " and ".join(f"{word} {_format(p[key])}" for key, word in
                              (("more_than", "more than"), ("less_than", "less than"))
                              if p[key] is not None)
        actual = "never" if start is None else _format(s.now - start)
        return f"{label} is {actual}", wanted

    CONDITIONS.register(ConditionDef(
        name, (Param("more_than", P.DURATION, required=False),
               Param("less_than", P.DURATION, required=False)),
        test, describe, doc=doc, check=_need_bound))


_elapsed("ticket_age", "ticket age", lambda t: t.created_at, "Time since the ticket was opened.")
_elapsed("time_in_status", "time in status", lambda t: t.status_changed_at,
         "Time since the last status change.")
_elapsed("time_since_customer_message", "time since the customer's last message",
         lambda t: t.last_customer_message_at,
         "Time since the customer last wrote; false when the customer never wrote.")
