"""Times in the terminal, always with their zone: `2026-12-07 10:15 CET`.

The store keeps UTC (naive values are UTC) and SLA clocks keep their calendar's
offset; a reader compares them only when every time is shown in one zone and
says which. Commands pass the desk's zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def zoned(value: str | datetime | None, zone: tzinfo) -> str:
    """An ISO time (or datetime) in `zone`, to the minute, with the zone's abbreviation."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or zone}"
