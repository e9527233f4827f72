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

from postdesk.cli.terminal_words import ENGLISH, N_, Words

STATE_STYLES = {"ok": "", "warning": "yellow", "breached": "bold red", "paused": "dim",
                "met": "green"}
_LABELS = {"first_response": N_("first reply"), "next_response": N_("next reply"),
           "resolution": N_("resolution")}


def clock_label(name: str, words: Words = ENGLISH) -> str:
    if name in _LABELS:
        return words._(_LABELS[name])
    return words._("OLA %(team)s", team=name.removeprefix("ola:")) if name.startswith("ola:") \
        else name


def business_span(seconds: int, words: Words = ENGLISH) -> str:
    """`1d 3h`, `2h05m`, `45m`, `30s` in English (the sign is left to the caller)."""
    return words.span(seconds)


def clock_text(state: str, remaining_s: int, words: Words = ENGLISH) -> str:
    """What one clock shows after its label."""
    if state == "paused":
        return words._("paused")
    if state == "met":
        return words._("met")
    if remaining_s <= 0:
        return words._("%(span)s over", span=business_span(remaining_s, words))
    if state == "warning":
        return words._("%(span)s left", span=business_span(remaining_s, words))
    return business_span(remaining_s, words)


def sla_cell(clocks: Mapping[str, Mapping[str, Any]], *, hide_met: bool = True,
             words: Words = ENGLISH) -> Text:
    """A ticket's clocks (the JSON `sla` mapping) in one cell; met clocks left out unless
    `hide_met` is false (a ticket whose clocks are all met shows `met`)."""
    cell = Text()
    shown = [(n, c) for n, c in clocks.items() if not hide_met or c["state"] != "met"]
    if not shown and clocks:
        return Text(words._("met"), style=STATE_STYLES["met"])
    for index, (name, clock) in enumerate(shown):
        if index:
            cell.append(" · ", style="dim")
        cell.append(f"{clock_label(name, words)} "
                    f"{clock_text(clock['state'], clock['remaining_s'], words)}",
                    style=STATE_STYLES.get(clock["state"], ""))
    return cell
