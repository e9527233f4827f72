"""SLA durations and warning thresholds, as written in `rules/sla.yaml`.

* A target is business time of the policy's calendar, in hours and minutes:
  `30m`, `4h`, `1h30m` (also `1h 30m`). Days are refused on purpose: a
  "day" is ambiguous (24 hours or one business day?); write `16h` for two
  8-hour business days.
* A warning threshold is either a share of the target, `75%` (1 to 99), or a
  time before the breach, `30m before`. A threshold that falls at or before
  the start of a clock (`30m before` a 30m target) is never reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PART = re.compile(r"(\d+)\s*([hm])")
_UNIT_SECONDS = {"h": 3600, "m": 60}
_PERCENT = re.compile(r"(\d{1,2})\s*%")
_BEFORE = re.compile(r"(.+?)\s+before")


class DurationError(ValueError):
    """A duration or threshold is written wrongly; the message says how to write it."""


def parse_duration(written: str) -> int:
    """`"1h30m"` -> 5400 (seconds); DurationError on anything else."""
    text = written.strip().lower()
    parts = _PART.findall(text)
    if not parts or _PART.sub("", text).strip():
        hint = " (write business days as hours, e.g. 16h)" if "d" in text else ""
        raise DurationError(f"'{written}' is not a duration; write it like 30m, 4h or 1h30m"
                            f"{hint}")
    seconds = sum(int(amount) * _UNIT_SECONDS[unit] for amount, unit in parts)
    if seconds <= 0:
        raise DurationError(f"'{written}': a duration must be longer than zero")
    return seconds


def format_duration(seconds: int) -> str:
    """5400 -> `1h30m`; negative values get a leading minus; seconds shown when present."""
    sign, rest = ("-", -seconds) if seconds < 0 else ("", seconds)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    text += f"{secs}s" if secs or not text else ""
    return sign + text


@dataclass(frozen=True)
class Threshold:
    """A warning point of a clock: `percent` of the target, or `before_s` before it."""

    label: str  # as written, normalised: "75%", "30m before"
    percent: int | None = None
    before_s: int | None = None

    def elapsed_at(self, target_s: int) -> int | None:
        """Business seconds of elapsed time at which the warning is due; None if never."""
        if self.percent is not None:
            at = target_s * self.percent // 100
        else:
            at = target_s - (self.before_s or 0)
        return at if 0 < at < target_s else None


def parse_threshold(written: str) -> Threshold:
    """`"75%"` or `"30m before"` -> Threshold; DurationError on anything else."""
    text = written.strip().lower()
    percent = _PERCENT.fullmatch(text)
    if percent:
        value = int(percent.group(1))
        if not 1 <= value <= 99:
            raise DurationError(f"'{written}': a percentage must be between 1% and 99%")
        return Threshold(f"{value}%", percent=value)
    before = _BEFORE.fullmatch(text)
    if before:
        seconds = parse_duration(before.group(1))
        return Threshold(f"{format_duration(seconds)} before", before_s=seconds)
    raise DurationError(f"'{written}' is not a warning threshold; write it like "
                        f"75% or 30m before")
