"""Babel's `format_datetime`, `format_date` and `get_timezone_name`, for many mails a second.

Babel looks the locale's patterns up and parses them again on every call, and
that costs a mail more than rendering its templates' sentences. Here the
work that depends only on the locale and the format is done once: the
datetime pattern with its quotes removed and the parsed time and date
patterns, for the four named formats. A moment's fields are then filled in
the way Babel fills them (the plain numbers directly, everything else by
Babel's own `DateTimeFormat`), the date part is kept per calendar day, and
a zone's name per zone, locale, offset and daylight saving time (all it
depends on). Any other format goes to Babel unchanged. The results are
Babel's, character for character (tests/unit/test_date_format.py compares
them over locales, zones and a year of moments).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from babel import Locale, dates

_NAMED = frozenset({"full", "long", "medium", "short"})


@dataclass(frozen=True)
class _NamedFormat:
    datetime: str  # "{1}, {0}": where the date and the time go
    time: str  # the time pattern as a %-format of fields ("%(h)s:%(mm)s:%(ss)s %(a)s")
    date: str


@functools.lru_cache(maxsize=256)
def _named_format(format: str, locale: Locale) -> _NamedFormat:
    named: Any = format  # one of _NAMED (Babel's hints want the literal)
    pattern: Any = dates.get_datetime_format(named, locale=locale)  # a str ("{1}, {0}")
    return _NamedFormat(
        datetime=pattern.replace("'", ""),
        time=_format_of(dates.get_time_format(named, locale=locale)),
        date=_format_of(dates.get_date_format(named, locale=locale)),
    )


def _format_of(pattern: dates.DateTimePattern) -> str:
    format: Any = dates.parse_pattern(pattern).format
    return str(format)


class _Fields(dates.DateTimeFormat):
    """Babel's fields of one moment, the numeric ones of the time without its dispatch."""

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
        return super().__getitem__(name)


def _local(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` (aware) in `zone`, as Babel converts it."""
    local = moment.astimezone(zone)
    normalize = getattr(zone, "normalize", None)  # pytz zones
    return normalize(local) if normalize is not None else local


@functools.lru_cache(maxsize=512)
def _date_text(pattern: str, day: date, locale: Locale) -> str:
    return pattern % dates.DateTimeFormat(day, locale)


def format_datetime(moment: datetime, zone: tzinfo, format: str, locale: Locale) -> str:
    """``babel.dates.format_datetime(moment, format, tzinfo=zone, locale=locale)``."""
    if format not in _NAMED:
        return dates.format_datetime(moment, format, tzinfo=zone, locale=locale)
    named = _named_format(format, locale)
    local = _local(moment, zone)
    day = local.date()
    time = named.time % _Fields(local.timetz(), locale, day)
    return named.datetime.replace("{0}", time).replace("{1}", _date_text(named.date, day, locale))


def format_date(day: date, format: str, locale: Locale) -> str:
    """``babel.dates.format_date(day, format, locale=locale)`` for a calendar day."""
    if format not in _NAMED or isinstance(day, datetime):
        return dates.format_date(day, format, locale=locale)
    return _date_text(_named_format(format, locale).date, day, locale)


#: A zone's long name by (zone, daylight saving offset, UTC offset, locale): all that
#: Babel reads of the moment (the offset only for a zone the locale has no name for).
_zone_names: dict[tuple[tzinfo, timedelta | None, timedelta | None, Locale], str] = {}
_ZONE_NAMES = 1024


def zone_name(moment: datetime, zone: tzinfo, locale: Locale) -> str:
    """``babel.dates.get_timezone_name(moment in zone, "long", locale=locale)``."""
    local = _local(moment, zone)
    key = (zone, local.dst(), local.utcoffset(), locale)
    name = _zone_names.get(key)
    if name is None:
        name = dates.get_timezone_name(local, "long", locale=locale)
        if len(_zone_names) >= _ZONE_NAMES:
            _zone_names.clear()
        _zone_names[key] = name
    return name
