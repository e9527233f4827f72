"""Numbers, percentages and durations of a report, written as a reader of one language
writes them (Babel's data for the locale): `45.2%` in English, `45,2%` in Polish, `45,2 %`
in German; `1,234` / `1 234` / `1.234`; `4h 05m` / `4 h 05 min` / `4h 05 Min.`.

For the pages and mails people read (the KPI page, the mailed digest, the terminal
table); the machine formats (`--format json|csv`) keep plain, locale-free numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit

#: What stands for a figure that cannot be computed (nothing to divide by, no times).
MISSING = "-"


def locale_of(language: str | None) -> Locale:
    """Babel's locale for a language tag (`pl`, `de-AT`, `pt_BR`); English when unknown."""
    try:
        return Locale.parse((language or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@dataclass(frozen=True)
class Numbers:
    """The figures' formatting for one locale (English by default)."""

    locale: Locale = field(default_factory=lambda: Locale.parse("en"))

    @classmethod
    def of(cls, language: str | None) -> Numbers:
        return cls(locale_of(language))

    def number(self, value: int | float | None) -> str:
        return MISSING if value is None else format_decimal(value, locale=self.locale)

    def percent(self, rate: float | None) -> str:
        """A fraction as a percentage with at most one decimal: `45.2%`, `45,2 %`."""
        if rate is None:
            return MISSING
        return _percent(self.locale, round(rate * 1000))

    def span(self, seconds: int | None) -> str:
        """Seconds for people: `45s`, `25m`, `4h 05m` in the locale's short units."""
        if seconds is None:
            return MISSING
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        if hours:
            return (f"{self._unit(hours, 'hour', '#,##0')} "
                    f"{self._unit(minutes, 'minute', '00')}")
        return self._unit(minutes, "minute", "0") if minutes \
            else self._unit(secs, "second", "0")

    def _unit(self, value: int, unit: str, pattern: str) -> str:
        return _unit(self.locale, value, unit, pattern)


# Babel formats a figure in tens of µs; a report repeats few values (rates in tenths of
# a percent, minutes, hours), so a page of a thousand lines costs a cache, not Babel
# (`bench/report_numbers.py`).

@lru_cache(maxsize=8192)
def _percent(locale: Locale, tenths: int) -> str:
    pattern = locale.percent_formats[None].pattern.replace("#,##0", "#,##0.#", 1)
    return format_percent(tenths / 1000, pattern, locale=locale)


@lru_cache(maxsize=8192)
def _unit(locale: Locale, value: int, unit: str, pattern: str) -> str:
    return format_unit(value, f"duration-{unit}", length="narrow", format=pattern,
                       locale=locale)


ENGLISH = Numbers()
