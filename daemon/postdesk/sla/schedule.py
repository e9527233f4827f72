"""What the scheduler needs from the clocks: the next moment to look, and what fired.

The scheduler scans only tickets whose indexed `sla_next_at` column is due.
Per ticket it keeps a watermark `sla_checked_until` (the last scan that
handled it). One scan at `now`:

    clocks = compute_clocks(config, policy, events, now)
    for crossing in crossed(clocks, after=checked_until, until=now):
        emit sla.warning / sla.breached          # key (ticket, clock, cycle, label)
    checked_until = now
    sla_next_at = next_threshold(clocks, after=now)

The worker recomputes after every event and stores
`next_threshold(clocks, after=checked_until)`, so a threshold that passed
since the last scan is still picked up by the next one. The key makes each
warning and breach fire once even when two scans overlap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from postdesk.sla.clock import BREACH, ClockState


@dataclass(frozen=True)
class Crossing:
    """A warning or breach moment of one clock cycle."""

    clock: str
    cycle: int
    label: str  # "75%", "30m before", or "breach"
    at: datetime

    @property
    def key(self) -> str:
        """Stable identity, for recording that it fired: `resolution#1:75%`."""
        return f"{self.clock}#{self.cycle}:{self.label}"


def thresholds(clocks: Mapping[str, ClockState]) -> list[Crossing]:
    """Every known warning and breach moment of the clocks' current cycles, by time."""
    found: list[Crossing] = []
    for clock in clocks.values():
        for label, at in clock.warnings_due:
            found.append(Crossing(clock.name, clock.cycle, label, at))
        if clock.state in ("running", "breached") and clock.due is not None:
            found.append(Crossing(clock.name, clock.cycle, BREACH, clock.due))
    return sorted(found, key=lambda c: (c.at, c.clock, c.label))


def crossed(clocks: Mapping[str, ClockState], after: datetime | None,
            until: datetime) -> list[Crossing]:
    """The moments in (after, until]: what a scan at `until` must fire."""
    return [c for c in thresholds(clocks)
            if c.at <= until and (after is None or c.at > after)]


def next_threshold(clocks: Mapping[str, ClockState] | Iterable[ClockState],
                   after: datetime | None = None) -> datetime | None:
    """The earliest warning or breach moment strictly after `after` (default: the
    moment the clocks were computed for); None when nothing is ahead (all met or paused)."""
    states = clocks if isinstance(clocks, Mapping) else {c.name: c for c in clocks}
    if after is None:
        after = next((c.as_of for c in states.values() if c.as_of is not None), None)
    ahead = [c.at for c in thresholds(states) if after is None or c.at > after]
    return min(ahead, default=None)
