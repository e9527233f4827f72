"""Live SLA in the terminal: remaining business time per clock, coloured by state.

    first reply 2h05m · resolution 1d 3h        (ok: plain)
    first reply 25m left                        (warning: yellow)
    resolution 1h10m over                       (breached: bold red)
    resolution paused                           (dim)

Durations are business time (`postdesk.sla.tracking.live`); days are counted as 24 hours
of it, so `1d 3h` means 27 business hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text

STATE_STYLES = {"ok": "", "warning": "yellow", "breached": "bold red", "paused": "dim",
                "met": "green"}
_LABELS = {"first_response": "first reply", "next_response": "next reply",
           "resolution": "resolution"}


def clock_label(name: str) -> str:
    return _LABELS.get(name, name.replace("ola:", "OLA ", 1))


def business_span(seconds: int) -> str:
    """`1d 3h`, `2h05m`, `45m`, `30s` (the sign is left to the caller)."""
    left = abs(seconds)
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m" if minutes else f"{secs}s"


def clock_text(state: str, remaining_s: int) -> str:
    """What one clock shows after its label."""
    if state == "paused":
        return "paused"
    if state == "met":
        return "met"
    if remaining_s <= 0:
        return f"{business_span(remaining_s)} over"
    return business_span(remaining_s) + (" left" if state == "warning" else "")


def sla_cell(clocks: Mapping[str, Mapping[str, Any]], *, hide_met: bool = True) -> Text:
    """A ticket's clocks (the JSON `sla` mapping) in one cell; met clocks left out unless
    `hide_met` is false (a ticket whose clocks are all met shows `met`)."""
    cell = Text()
    shown = [(n, c) for n, c in clocks.items() if not hide_met or c["state"] != "met"]
    if not shown and clocks:
        return Text("met", style=STATE_STYLES["met"])
    for index, (name, clock) in enumerate(shown):
        if index:
            cell.append(" · ", style="dim")
        cell.append(f"{clock_label(name)} {clock_text(clock['state'], clock['remaining_s'])}",
                    style=STATE_STYLES.get(clock["state"], ""))
    return cell
