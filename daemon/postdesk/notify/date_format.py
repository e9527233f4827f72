"""Babel's `format_datetime`, `format_date` and `get_timezone_name`, for many mails a second.

Babel looks the locale's patterns up and parses them again on every call, and
that costs a mail more than rendering its templates' sentences. `LocaleDates`
does the work that depends only on its locale and the format once: the
datetime pattern with its quotes removed and the parsed time and date
patterns, for the four named formats. A moment's fields are then filled in
the way Babel fills them (the plain numbers directly, AM/PM by half of the
day, everything else by Babel's own `DateTimeFormat`); the date part is kept
per calendar day, a zone's name per zone, offset and daylight saving time
(all Babel reads of the moment), and a formatted moment per instant, zone
and format, since a mail shows the same moment in its text and in its HTML.
Any other format goes to Babel unchanged; "mail" (the default of mails, see
`_PARTS`) combines Babel's long date with its short time. The results are Babel's, character
for character (tests/unit/test_date_format.py compares them over locales,
zones and a year of moments).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from babel import Locale, dates

_NAMED = frozenset({"full", "long", "medium", "short", "mail"})

#: "mail": how a mail writes a moment: the day as the locale writes it in full ("7 grudnia
#: 2026", "7. Dezember 2026"; CLDR's medium day abbreviates months to "gru"), the time to
#: the minute (seconds mean nothing to a reader), joined as the locale joins a long date
#: and a time ("7 grudnia 2026 o 01:45"). The parts of each named format: (datetime,
#: time, date).
_PARTS: dict[str, tuple[str, str, str]] = {
    **{name: (name, name, name) for name in ("full", "long", "medium", "short")},
    "mail": ("long", "short", "long"),
}

#: Entries a cache holds before it starts again (moments are unbounded).
_CACHE_SIZE = 1024


@dataclass(frozen=True)
class _NamedFormat:
    datetime: str  # "{1}, {0}": where the date and the time go
    time: str  # the time pattern as a %-format of fields ("%(h)s:%(mm)s:%(ss)s %(a)s")
    date: str


def _format_of(pattern: dates.DateTimePattern) -> str:
    format: Any = dates.parse_pattern(pattern).format
    return str(format)


class _Fields(dates.DateTimeFormat):
    """Babel's fields of one moment of the day, the common ones without Babel's dispatch."""

    def __init__(self, value: Any, locale: Locale, reference_date: date,
                 periods: dict[tuple[str, bool], str]) -> None:
        super().__init__(value, locale, reference_date)
        self.periods = periods

    def __getitem__(self, name: str) -> str:
        char = name[0]
        value: Any = self.value  # a time: _Fields fills time patterns only
        if char == "H":
            return f"{value.hour:0{len(name)}d}"
        if char == "m":
            return f"{value.minute:0{len(name)}d}"
        if char == "s":
            return f"{value.second:0{len(name)}d}"
        if char == "h":
            return f"{value.hour % 12 or 12:0{len(name)}d}"
        if char == "a":  # Babel's AM/PM depends on the half of the day alone
            key = (name, value.hour >= 12)
            period = self.periods.get(key)
            if period is None:
                period = self.periods[key] = super().__getitem__(name)
            return period
        return super().__getitem__(name)


def _local(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` (aware) in `zone`, as Babel converts it."""
    local = moment.astimezone(zone)
    normalize = getattr(zone, "normalize", None)  # pytz zones
    return normalize(local) if normalize is not None else local


def _remember(cache: dict[Any, str], key: Any, value: str) -> str:
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = value
    return value


class LocaleDates:
    """Dates and zone names in one locale, as Babel writes them (see the module docstring).

    Safe to share between threads: the caches only ever gain entries Babel would write.
    """

    def __init__(self, locale: Locale) -> None:
        self.locale = locale
        self._named: dict[str, _NamedFormat] = {}
        self._moments: dict[tuple[datetime, tzinfo, str | None, str], str] = {}
        self._days: dict[tuple[str, date], str] = {}
        self._zone_names: dict[
            tuple[tzinfo, str | None, timedelta | None, timedelta | None], str] = {}
        self._periods: dict[tuple[str, bool], str] = {}

    def format_datetime(self, moment: datetime, zone: tzinfo, format: str) -> str:
        """``babel.dates.format_datetime(moment, format, tzinfo=zone, locale=...)``;
        `moment` is aware."""
        # In UTC, equal keys are the same moment (in a zone that sets its clocks back,
        # two local times an hour apart compare equal); fixed-offset zones compare equal
        # whatever their names, hence the name.
        key = (moment.astimezone(UTC), zone, zone.tzname(None), format)
        text = self._moments.get(key)
        if text is None:
            text = _remember(self._moments, key, self._format_datetime(moment, zone, format))
        return text

    def format_date(self, day: date, format: str) -> str:
        """``babel.dates.format_date(day, format, locale=...)`` for a calendar day."""
        if format not in _NAMED or isinstance(day, datetime):
            return dates.format_date(day, format, locale=self.locale)
        return self._day(self._named_format(format).date, day)

    def zone_name(self, moment: datetime, zone: tzinfo) -> str:
        """``babel.dates.get_timezone_name(moment in zone, "long", locale=...)``."""
        local = _local(moment, zone)
        # Babel reads the zone, whether daylight saving time is on and, for a zone the
        # locale has no name for, the offset: nothing else of the moment.
        key = (zone, zone.tzname(None), local.dst(), local.utcoffset())
        name = self._zone_names.get(key)
        if name is None:
            name = _remember(self._zone_names, key,
                             dates.get_timezone_name(local, "long", locale=self.locale))
        return name

    def _format_datetime(self, moment: datetime, zone: tzinfo, format: str) -> str:
        if format not in _NAMED:
            return dates.format_datetime(moment, format, tzinfo=zone, locale=self.locale)
        named = self._named_format(format)
        local = _local(moment, zone)
        day = local.date()
        time = named.time % _Fields(local.timetz(), self.locale, day, self._periods)
        return named.datetime.replace("{0}", time).replace("{1}", self._day(named.date, day))

    def _named_format(self, format: str) -> _NamedFormat:
        named = self._named.get(format)
        if named is None:
            parts: Any = _PARTS[format]  # names of _NAMED (Babel's hints want the literals)
            pattern: Any = dates.get_datetime_format(parts[0], locale=self.locale)  # a str
            named = self._named[format] = _NamedFormat(
                datetime=pattern.replace("'", ""),
                time=_format_of(dates.get_time_format(parts[1], locale=self.locale)),
                date=_format_of(dates.get_date_format(parts[2], locale=self.locale)),
            )
        return named

    def _day(self, pattern: str, day: date) -> str:
        key = (pattern, day)
        text = self._days.get(key)
        if text is None:
            text = _remember(self._days, key, pattern % dates.DateTimeFormat(day, self.locale))
        return text
