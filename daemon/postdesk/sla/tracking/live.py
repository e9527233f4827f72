"""The SLA clocks of a ticket as they stand *now*, from its stored `ticket_sla` row.

The row holds each clock as of `updated_at` (`postdesk.store.sla_store`). Between two
changes of the ticket nothing is written, yet a running clock keeps counting;
this pure module moves it forward to `now` in business time of its calendar:

* a counting clock gains `calendar.business_seconds(updated_at, now)`:
  remaining = target - elapsed, negative once overdue; its state is
  `breached` at or after its due time, `warning` from its first warning
  threshold (`warn_at`), else `ok`;
* a paused clock keeps its remaining time and has no due time;
* a met clock keeps what it had (`met`, or `breached` if it was met late).

Ticket states, worst first: breached, warning, ok, paused, met (`WORST_FIRST`);
a ticket's state is its worst clock's. Without its calendar (the policy was
removed from rules/sla.yaml) a clock counts wall-clock seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from postdesk.sla.calendar import to_epoch

if TYPE_CHECKING:  # types only: the live clocks of a list need no policy engine
    from postdesk.sla.calendar import Calendar
    from postdesk.sla.clock import ClockState
    from postdesk.sla.policy import SlaConfig

WORST_FIRST = ("breached", "warning", "ok", "paused", "met")
#: What a stored clock state (`postdesk.sla.clock`) reads as while it is not counting.
_AT_REST = {"running": "ok", "paused": "paused", "met": "met", "breached": "breached"}


@dataclass(frozen=True)
class LiveClock:
    """One clock at `now`: state ok|warning|breached|paused|met, due (None when paused or
    met), business seconds left (negative: over by that much)."""

    name: str
    state: str
    due: datetime | None
    remaining_s: int
    elapsed_s: int
    target_s: int

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "due": self.due.isoformat() if self.due else None,
                "remaining_s": self.remaining_s}


def stored_extras(clock: ClockState) -> dict[str, Any]:
    """What `sla_track.store` keeps per clock beyond the `sla simulate` shape."""
    counting = clock.state == "running" or (clock.state == "breached" and clock.met_at is None
                                            and not _held(clock))
    warn_at = clock.warnings_due[0][1] if clock.warnings_due else None
    return {"counting": counting, "warn_at": warn_at.isoformat() if warn_at else None}


def _held(clock: ClockState) -> bool:
    return bool(clock.paused) and clock.paused[-1][1] is None


def row_summary(clocks: Mapping[str, ClockState]) -> tuple[str | None, datetime | None,
                                                       datetime | None]:
    """(state, due_at, warn_at) for the row's indexed columns, as of the clocks' moment."""
    lives = [_AT_REST.get(c.state, c.state) for c in clocks.values()]
    dues = [c.due for c in clocks.values() if c.due is not None
            and stored_extras(c)["counting"]]
    warns = [c.warnings_due[0][1] for c in clocks.values()
             if c.state == "running" and c.warnings_due]
    state = worst(lives)
    as_of = next((c.as_of for c in clocks.values() if c.as_of is not None), None)
    if state == "ok" and as_of is not None and any(w <= as_of for w in warns):
        state = "warning"
    return state, min(dues, default=None), min(warns, default=None)


def worst(states: Iterable[str]) -> str | None:
    """The worst of some live states (None: there are none)."""
    found = set(states)
    return next((state for state in WORST_FIRST if state in found), None)


def live_clock(name: str, stored: Mapping[str, Any], as_of: datetime,
               calendar: Calendar | None, now: datetime) -> LiveClock:
    """One stored clock (the row's `clocks[name]`, computed at `as_of`) moved on to `now`."""
    target = int(stored.get("target_s") or 0)
    elapsed = int(stored.get("elapsed_s") or 0)
    due = _moment(stored.get("due"))
    counting = stored.get("counting", stored.get("state") == "running")
    if not counting:
        state = _AT_REST.get(str(stored.get("state")), str(stored.get("state")))
        return LiveClock(name, state, None if state != "breached" else due,
                         int(stored.get("remaining_s") or 0), elapsed, target)
    start, end = to_epoch(as_of), to_epoch(now)
    if end > start:
        elapsed += calendar.business_seconds(start, end) if calendar else end - start
    remaining = target - elapsed
    warn_at = _moment(stored.get("warn_at"))
    if remaining <= 0 or stored.get("state") == "breached":
        state = "breached"
    elif warn_at is not None and now >= warn_at:
        state = "warning"
    else:
        state = "ok"
    return LiveClock(name, state, due, remaining, elapsed, target)


def live_clocks(policy: str, clocks: Mapping[str, Mapping[str, Any]], as_of: datetime,
                config: SlaConfig | None, now: datetime) -> dict[str, LiveClock]:
    """Every stored clock of a row at `now` (see `clock_calendar`)."""
    return {name: live_clock(name, stored, as_of, clock_calendar(config, policy, name), now)
            for name, stored in clocks.items()}


def clock_calendar(config: SlaConfig | None, policy: str, clock: str) -> Calendar | None:
    """The calendar a clock counts in: its OLA's for `ola:<team>`, else its policy's."""
    if config is None:
        return None
    if clock.startswith("ola:"):
        ola = config.olas.get(clock.removeprefix("ola:"))
        return ola.calendar if ola is not None else None
    found = config.policy(policy)
    return found.calendar if found is not None else None


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None
