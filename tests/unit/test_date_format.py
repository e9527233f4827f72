"""The fast date formatting writes exactly what Babel writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from babel import Locale, dates

from postdesk.notify.date_format import LocaleDates

LOCALES = ["en", "en_GB", "en_US", "en_IN", "pl", "de", "de_AT", "de_CH", "pt_BR", "fr",
           "ar", "he", "ja", "zh_Hant_TW", "ko", "fa", "hi", "th", "ru", "uk"]
ZONES = [UTC, timezone(timedelta(hours=5, minutes=45)), ZoneInfo("Europe/Warsaw"),
         timezone(timedelta(hours=1), "Europe/Lisbon"), timezone(timedelta(hours=1), "CET"),
         ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata"),
         ZoneInfo("Australia/Lord_Howe"), ZoneInfo("America/St_Johns"),
         ZoneInfo("Pacific/Chatham"), ZoneInfo("Africa/Casablanca"), ZoneInfo("Etc/GMT+3")]


def moments() -> list[datetime]:
    """Every hour of the day, every month, both sides of the EU and US clock changes,
    midnight and noon, the year's edges, a leap day and seconds that need padding."""
    start = datetime(2026, 1, 1, 0, 0, 5, 123456, tzinfo=UTC)
    found = [start + timedelta(hours=89 * n, minutes=7 * n, seconds=n) for n in range(100)]
    found += [datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
              datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
              datetime(2026, 3, 8, 7, 0, tzinfo=UTC), datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
              datetime(2024, 2, 29, 12, 0, tzinfo=UTC),
              datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
              datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC), datetime(2026, 6, 1, 0, 0, 0, tzinfo=UTC)]
    return found


@pytest.mark.parametrize("language", LOCALES)
def test_datetimes_and_zone_names_are_babels(language: str) -> None:
    locale = Locale.parse(language)
    fast = LocaleDates(locale)
    for zone in ZONES:
        for moment in moments():
            for format in ("full", "long", "medium", "short"):
                expected = dates.format_datetime(moment, format, tzinfo=zone, locale=locale)
                assert fast.format_datetime(moment, zone, format) == expected, (
                    language, zone, moment, format)
            expected = dates.get_timezone_name(moment.astimezone(zone), "long", locale=locale)
            assert fast.zone_name(moment, zone) == expected, (language, zone, moment)


@pytest.mark.parametrize("language", LOCALES)
def test_dates_and_custom_patterns_are_babels(language: str) -> None:
    locale = Locale.parse(language)
    fast = LocaleDates(locale)
    zone = ZoneInfo("Europe/Warsaw")
    for moment in moments()[::7]:
        day = moment.astimezone(zone).date()
        for format in ("full", "long", "medium", "short", "d MMMM y"):
            assert fast.format_date(day, format) == dates.format_date(
                day, format, locale=locale)
        for pattern in ("yyyy-MM-dd HH:mm:ss zzzz", "EEEE h:mm a", "k:K"):
            assert fast.format_datetime(moment, zone, pattern) == (
                dates.format_datetime(moment, pattern, tzinfo=zone, locale=locale))
    assert fast.format_date(date(2026, 1, 2), "short") == dates.format_date(
        date(2026, 1, 2), "short", locale=locale)
