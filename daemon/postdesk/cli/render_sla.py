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
_LABELS = {"first_response": "first reply", "next_response": "next reply",
           "resolution": "resolution"}
#: In another language a clock reads as in the queue digests mailed to agents, from the
#: same catalog entries (templates/email/_queue_sla.txt.j2).
_TITLES = {"first_response": N_("First response"), "next_response": N_("Next response"),
           "resolution": N_("Resolution")}


def clock_label(name: str) -> str:
    return _LABELS.get(name, name.replace("ola:", "OLA ", 1))


def business_span(seconds: int) -> str:
    """`1d 3h`, `2h05m`, `45m`, `30s` (the sign is left to the caller)."""
    return ENGLISH.span(seconds)


def clock_text(state: str, remaining_s: int) -> str:
    """What one clock shows after its label."""
    if state == "paused":
        return "paused"
    if state == "met":
        return "met"
    if remaining_s <= 0:
        return f"{business_span(remaining_s)} over"
    return business_span(remaining_s) + (" left" if state == "warning" else "")


def clock_phrase(name: str, state: str, remaining_s: int, words: Words = ENGLISH) -> str:
    """One clock with its label: `first reply 25m left`, or in the reader's language as the
    digests say it (`Pierwsza odpowiedź: pozostało 25 min, termin wkrótce`)."""
    if words.english:
        return f"{clock_label(name)} {clock_text(state, remaining_s)}"
    clock = words._(_TITLES[name]) if name in _TITLES else clock_label(name)
    duration = words.span(remaining_s)
    if state == "paused":
        return words._("%(clock)s: paused", clock=clock)
    if state == "met":
        return f"{clock}: {words._('met')}"
    if remaining_s <= 0:
        return words._("%(clock)s: overdue by %(duration)s", clock=clock, duration=duration)
    if state == "warning":
        return words._("%(clock)s: %(duration)s remaining, due soon", clock=clock,
                       duration=duration)
    return words._("%(clock)s: %(duration)s remaining", clock=clock, duration=duration)


def sla_cell(clocks: Mapping[str, Mapping[str, Any]], *, hide_met: bool = True,
             words: Words = ENGLISH) -> Text:
    """A ticket's clocks (the JSON `sla` mapping) in one cell; met clocks left out unless
    `hide_met` is false (a ticket whose clocks are all met shows `met`)."""
    cell = Text()
    shown = [(n, c) for n, c in clocks.items() if not hide_met or c["state"] != "met"]
    if not shown and clocks:
        return Text(words._("met") if not words.english else "met", style=STATE_STYLES["met"])
    for index, (name, clock) in enumerate(shown):
        if index:
            cell.append(" · ", style="dim")
        cell.append(clock_phrase(name, clock["state"], clock["remaining_s"], words),
                    style=STATE_STYLES.get(clock["state"], ""))
    return cell
