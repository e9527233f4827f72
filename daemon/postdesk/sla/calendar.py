"""Business calendars and the business-time arithmetic of the SLA clocks.

A calendar is weekly business hours in an IANA time zone, minus holidays:

    calendars:
      office:
        timezone: Europe/Warsaw
        hours:
          mon-thu: ["08:00-16:00"]             # a day or a range of days
          fri: ["08:00-12:00", "13:00-16:00"]  # several intervals a day
        holidays: {country: PL, dates: ["2026-12-24"]}   # both optional
      always: {timezone: UTC, hours: "24/7"}

* Days are mon tue wed thu fri sat sun; a day not listed is closed. An
  interval is `HH:MM-HH:MM` local wall-clock time, `24:00` ends at midnight.
  Intervals of a day must not overlap.
* `holidays.country` uses the `holidays` package (ISO code like PL, US;
  `subdiv: NY` for regional holidays); `dates` lists extra closed days.
* Hours are wall-clock times of the zone, so a day with a daylight-saving
  change keeps its opening hours and elapsed time is the real seconds inside
  them: `00:00-08:00` lasts 7 hours on the spring-forward night, 9 on the
  fall-back night. A time that does not exist that day (in the spring gap)
  is moved forward by the jump; an ambiguous one means its first occurrence.
* `24/7` counts every second (holidays still close a 24/7 calendar if listed).

Instants are whole seconds since the epoch (`int`); the arithmetic walks
business intervals day by day, never minute by minute, and remembers each
day's intervals, so it is pure and cheap to repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_DAY = 86400
# A calendar with no business time for this many days in a row is a mistake
# (the loader refuses calendars with no hours, but holidays could eat them all).
MAX_CLOSED_DAYS = 3660
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)

Interval = tuple[int, int]  # seconds after local midnight, start < end <= 86400
Span = tuple[int, int]  # epoch seconds, start < end


def to_epoch(moment: datetime) -> int:
    """An aware datetime -> whole seconds since the epoch (sub-seconds dropped)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; SLA times must be aware")
    return (moment - _EPOCH) // _SECOND


def from_epoch(seconds: int, zone: ZoneInfo | None = None) -> datetime:
    """Seconds since the epoch -> an aware datetime in `zone` (UTC by default)."""
    moment = _EPOCH + timedelta(seconds=seconds)
    return moment.astimezone(zone) if zone is not None else moment


@lru_cache(maxsize=512)
def country_holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    """The public holidays of one country (and subdivision) in one year."""
    import holidays as holidays_package  # here: its country tables take long to import

    return frozenset(holidays_package.country_holidays(country, subdiv=subdiv, years=year))


def check_country(country: str, subdiv: str | None) -> None:
    """Raise ValueError with a readable reason when `holidays` does not know the code."""
    import holidays as holidays_package

    try:
        holidays_package.country_holidays(country, subdiv=subdiv)
    except NotImplementedError:
        raise ValueError(f"unknown holiday country '{country}'; use an ISO code like "
                         f"PL, US or DE") from None
    except (ValueError, KeyError) as error:  # unknown subdivision
        raise ValueError(str(error).strip("'\"")) from None


@dataclass(frozen=True)
class Calendar:
    """Weekly hours (Monday first), a zone and closed days; the arithmetic works on epochs."""

    name: str
    zone: ZoneInfo
    week: tuple[tuple[Interval, ...], ...]  # 7 days, each sorted, non-overlapping
    dates: frozenset[date] = frozenset()  # explicit holidays
    country: str | None = None
    subdiv: str | None = None
    where: str = ""  # file:line of the definition
    _days: dict[int, tuple[Span, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)
    # Day ordinal -> business seconds of all days before it, counted from the
    # first day asked for (differences are what matter): long spans cost O(1).
    _before: dict[int, int] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)

    @property
    def always_open(self) -> bool:
        """Every second counts: 24/7 hours and no holidays (the arithmetic's fast path)."""
        return (not self.dates and self.country is None
                and all(day == ((0, FULL_DAY),) for day in self.week))

    def is_holiday(self, day: date) -> bool:
        if day in self.dates:
            return True
        return self.country is not None and day in country_holidays(
            self.country, self.subdiv, day.year)

    def local_date(self, instant: int) -> date:
        return datetime.fromtimestamp(instant, self.zone).date()

    def spans_on(self, day: date) -> tuple[Span, ...]:
        """The business intervals of a local date, as epoch spans (remembered)."""
        key = day.toordinal()
        found = self._days.get(key)
        if found is None:
            found = () if self.is_holiday(day) else tuple(
                (self._instant(day, start), self._instant(day, end))
                for start, end in self.week[day.weekday()])
            # A DST gap can swallow a whole interval; drop what is left empty.
            found = tuple((a, b) for a, b in found if a < b)
            self._days[key] = found
        return found

    def _instant(self, day: date, offset: int) -> int:
        local = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        # Aware + timedelta is wall-clock arithmetic; the offset is then looked up
        # for the resulting wall time, which is what business hours mean.
        return to_epoch(local + timedelta(seconds=offset))

    def is_open(self, instant: int) -> bool:
        """Whether `instant` lies inside business hours (start inclusive, end exclusive)."""
        if self.always_open:
            return True
        return any(a <= instant < b for a, b in self.spans_on(self.local_date(instant)))

    def business_seconds(self, start: int, end: int) -> int:
        """Business seconds in [start, end); 0 when end <= start."""
        if end <= start:
            return 0
        if self.always_open:
            return end - start
        first, last = self.local_date(start), self.local_date(end)
        if first == last:
            return self._within(first, start, end)
        return (self._within(first, start, end) + self._within(last, start, end)
                + self._before_day(last.toordinal())
                - self._before_day(first.toordinal() + 1))

    def _within(self, day: date, start: int, end: int) -> int:
        total = 0
        for a, b in self.spans_on(day):
            low, high = max(a, start), min(b, end)
            if high > low:
                total += high - low
        return total

    def _day_total(self, ordinal: int) -> int:
        return sum(b - a for a, b in self.spans_on(date.fromordinal(ordinal)))

    def _before_day(self, ordinal: int) -> int:
        before = self._before
        found = before.get(ordinal)
        if found is not None:
            return found
        if not before:
            before[ordinal] = 0
            return 0
        low, high = min(before), max(before)  # the known days are one contiguous run
        if ordinal > high:
            total = before[high]
            for day in range(high, ordinal):
                total += self._day_total(day)
                before[day + 1] = total
        else:
            total = before[low]
            for day in range(low - 1, ordinal - 1, -1):
                total -= self._day_total(day)
                before[day] = total
        return before[ordinal]

    def add_business_seconds(self, start: int, seconds: int) -> int:
        """The earliest instant by which `seconds` business seconds have passed since `start`.

        When the target is reached exactly at the end of an interval, that end is
        returned (16:00), not the next opening.
        """
        if seconds <= 0:
            return start
        if self.always_open:
            return start + seconds
        left = seconds
        day = self.local_date(start)
        closed_days = 0
        while True:
            spans = self.spans_on(day)
            for a, b in spans:
                if b <= start:
                    continue
                low = max(a, start)
                if left <= b - low:
                    return low + left
                left -= b - low
            closed_days = 0 if spans else closed_days + 1
            if closed_days > MAX_CLOSED_DAYS:
                since = day - timedelta(days=closed_days)
                raise ValueError(f"calendar '{self.name}' has no business hours for "
                                 f"{MAX_CLOSED_DAYS} days after {since}")
            day += timedelta(days=1)

    def next_open(self, instant: int) -> int:
        """`instant` itself when open, else the next opening (for business-hours mail)."""
        if self.is_open(instant):
            return instant
        return self.add_business_seconds(instant, 1) - 1


def week_of(hours: dict[int, list[Interval]]) -> tuple[tuple[Interval, ...], ...]:
    """Day index -> intervals, as the 7-tuple a Calendar holds (sorted)."""
    return tuple(tuple(sorted(hours.get(i, []))) for i in range(7))


ALL_WEEK: tuple[tuple[Interval, ...], ...] = tuple(((0, FULL_DAY),) for _ in range(7))
IsOpen = Callable[[datetime], bool]


def business_hours_test(calendar: Calendar) -> IsOpen:
    """A `RuleContext.is_business_hours` for the automation rules, from a calendar."""
    return lambda moment: calendar.is_open(to_epoch(moment))
