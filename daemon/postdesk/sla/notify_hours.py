"""When a held notification may reach its recipient: business hours per person (pure).

SLA warnings are mailed only during the recipient's business hours when the
ticket's own calendar has hours (a 24/7 policy's warnings go at once: its
clocks run all night, so must its people): a warning the scheduler raises at
02:00 on a Saturday waits in the outbox until the recipient's next opening,
but never past the clock's due time (a rule's `notify: {..., anytime: true}`
sends at once; `anytime: false` holds a breach too, which is otherwise sent
at once). Whose hours, optionally in rules/sla.yaml:

    notify_hours:
      calendar: office                 # everyone (default: the default policy's calendar)
      teams: {night-shift: always}     # the agents of a team (the first listed team wins)
      agents: {ann@example.com: office-us}   # one person

The hours are read in the recipient's own time zone when teams.yaml gives
the agent one (`timezone:`): an agent in New York on the `office` calendar
(08:00-16:00) gets mail from 08:00 New York time. Without a zone the
calendar's own applies. Holidays are the calendar's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from postdesk.config.rulesfile import Node
from postdesk.sla.calendar import Calendar, from_epoch, to_epoch

KEYS = ("calendar", "teams", "agents")


@dataclass(frozen=True)
class NotifyHours:
    calendar: Calendar | None = None  # None: the default policy's calendar
    teams: Mapping[str, Calendar] = field(default_factory=dict)
    agents: Mapping[str, Calendar] = field(default_factory=dict)  # lower-cased address


def recipient_calendar(hours: NotifyHours, fallback: Calendar, address: str,
                       teams: Sequence[str] = (), zone: str | None = None) -> Calendar:
    """The calendar whose hours apply to `address` (member of `teams`, in file order),
    moved to the recipient's time zone `zone` when one is known."""
    calendar = hours.agents.get(address.strip().lower()) or next(
        (hours.teams[t] for t in teams if t in hours.teams), None) or hours.calendar or fallback
    return in_zone(calendar, zone) if zone else calendar


@functools.lru_cache(maxsize=256)
def in_zone(calendar: Calendar, zone: str) -> Calendar:
    """The same weekly hours and holidays, read as wall-clock times of `zone`."""
    if calendar.zone.key == zone:
        return calendar
    return replace(calendar, zone=ZoneInfo(zone))


def release_at(calendar: Calendar, now: datetime, deadline: datetime | None = None
               ) -> datetime | None:
    """None when `now` is inside the calendar's hours (send now), else its next opening;
    never later than `deadline` (the clock's due time: a warning that arrives after the
    breach it warns of is useless), and None when the deadline has passed."""
    instant = to_epoch(now)
    opening = calendar.next_open(instant)
    if deadline is not None:
        if to_epoch(deadline) <= instant:
            return None
        opening = min(opening, to_epoch(deadline))
    return None if opening <= instant else from_epoch(opening, calendar.zone)


def parse_notify_hours(node: Node | None, calendar: Callable[[Node], Calendar]) -> NotifyHours:
    """The `notify_hours:` section (absent: everyone on the default policy's calendar);
    `calendar` reads a calendar name (the loader's check, with its file:line error)."""
    if node is None or node.value is None:
        return NotifyHours()
    node.check_keys(KEYS)
    fields = node.as_mapping("a mapping with calendar, teams and/or agents")
    default = calendar(fields["calendar"]) if "calendar" in fields else None
    found: dict[str, dict[str, Calendar]] = {"teams": {}, "agents": {}}
    for section, what in (("teams", "a mapping of team: calendar"),
                          ("agents", "a mapping of agent address: calendar")):
        if section in fields and fields[section].value is not None:
            for key, child in fields[section].as_mapping(what).items():
                name = key.strip().lower() if section == "agents" else key
                found[section][name] = calendar(child)
    return NotifyHours(default, found["teams"], found["agents"])

