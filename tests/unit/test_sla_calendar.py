"""Business-time arithmetic: weekends, holidays, DST in Warsaw and New York (hand-computed)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from postdesk.sla import parse_sla
from postdesk.sla.calendar import Calendar, from_epoch, to_epoch
from postdesk.sla.durations import DurationError, parse_duration, parse_threshold

CALENDARS = """\
calendars:
  office:
    timezone: Europe/Warsaw
    hours: {mon-thu: ["08:00-16:00"], fri: ["08:00-12:00", "13:00-16:00"]}
    holidays: {country: PL, dates: ["2026-12-24"]}
  closed_tuesday:
    timezone: Europe/Warsaw
    hours: {mon-fri: "08:00-16:00"}
    holidays: {dates: ["2026-03-10"]}
  daily: {timezone: Europe/Warsaw, hours: {mon-sun: ["08:00-16:00"]}}
  night_warsaw: {timezone: Europe/Warsaw, hours: {sun: ["00:00-08:00"]}}
  night_ny: {timezone: America/New_York, hours: {sun: ["00:00-08:00"]}}
  ny_office: {timezone: America/New_York, hours: {mon-fri: ["09:00-17:00"]}}
  always_warsaw: {timezone: Europe/Warsaw, hours: "24/7"}
policies:
  - {name: any, calendar: office, targets: {resolution: 1h}}
"""
CONFIG = parse_sla(CALENDARS)


def cal(name: str) -> Calendar:
    return CONFIG.calendars[name]


def due(name: str, start: str, target: str) -> datetime:
    calendar = cal(name)
    instant = calendar.add_business_seconds(to_epoch(datetime.fromisoformat(start)),
                                            parse_duration(target))
    return from_epoch(instant, calendar.zone)


def between(name: str, start: str, end: str) -> int:
    return cal(name).business_seconds(to_epoch(datetime.fromisoformat(start)),
                                      to_epoch(datetime.fromisoformat(end)))


def test_a_weekend_does_not_count() -> None:
    # Thu 14-16 (2h) + Fri 08-12, 13-16 (7h) + Mon 08-15 (7h) = 16h
    assert due("office", "2026-03-05T14:00:00+01:00", "16h").isoformat() == (
        "2026-03-09T15:00:00+01:00")
    assert between("office", "2026-03-05T14:00:00+01:00", "2026-03-09T15:00:00+01:00") == 57600


def test_the_friday_lunch_break_does_not_count() -> None:
    assert due("office", "2026-03-06T11:00:00+01:00", "2h").isoformat() == (
        "2026-03-06T14:00:00+01:00")


def test_a_country_holiday_is_closed() -> None:
    # Fri 3 April 15-16 (1h); Easter Monday 6 April is a Polish holiday; Tue 08-11 (3h)
    assert due("office", "2026-04-03T15:00:00+02:00", "4h").isoformat() == (
        "2026-04-07T11:00:00+02:00")


def test_an_explicit_holiday_is_closed() -> None:
    # Mon 12-16 (4h), Tue 10 March closed, Wed 08-12 (4h)
    assert due("closed_tuesday", "2026-03-09T12:00:00+01:00", "8h").isoformat() == (
        "2026-03-11T12:00:00+01:00")


def test_a_target_reached_at_closing_time_is_due_at_closing_time() -> None:
    assert due("office", "2026-03-02T08:00:00+01:00", "8h").isoformat() == (
        "2026-03-02T16:00:00+01:00")


def test_a_start_outside_hours_counts_from_the_next_opening() -> None:
    assert due("office", "2026-03-07T23:00:00+01:00", "30m").isoformat() == (
        "2026-03-09T08:30:00+01:00")


def test_warsaw_spring_forward_keeps_wall_clock_opening_hours() -> None:
    # Sat 28 March 15-16 CET (1h), Sun 29 March 08-11 CEST (3h): 19 real hours later
    start = "2026-03-28T15:00:00+01:00"
    moment = due("daily", start, "4h")
    assert moment.isoformat() == "2026-03-29T11:00:00+02:00"
    assert moment - datetime.fromisoformat(start) == timedelta(hours=19)


def test_warsaw_dst_nights_last_seven_and_nine_hours() -> None:
    assert between("night_warsaw", "2026-03-29T00:00:00+01:00",
                   "2026-03-30T00:00:00+02:00") == 7 * 3600
    assert between("night_warsaw", "2026-10-25T00:00:00+02:00",
                   "2026-10-26T00:00:00+01:00") == 9 * 3600


def test_new_york_spring_forward_over_a_weekend() -> None:
    # Fri 6 March 16-17 EST (1h), Mon 9 March 09-12 EDT (3h)
    assert due("ny_office", "2026-03-06T16:00:00-05:00", "4h").isoformat() == (
        "2026-03-09T12:00:00-04:00")


def test_new_york_fall_back_night_counts_real_seconds() -> None:
    # 00:00 EDT (04:00Z) + 8h30m of real time = 12:30Z = 07:30 EST
    assert due("night_ny", "2026-11-01T00:00:00-04:00", "8h30m").isoformat() == (
        "2026-11-01T07:30:00-05:00")
    assert between("night_ny", "2026-11-01T00:00:00-04:00",
                   "2026-11-02T00:00:00-05:00") == 9 * 3600


def test_24_7_counts_real_time_across_dst() -> None:
    assert between("always_warsaw", "2026-03-28T12:00:00+01:00",
                   "2026-03-30T12:00:00+02:00") == 47 * 3600


def test_next_open_is_the_next_opening() -> None:
    calendar = cal("office")
    saturday = to_epoch(datetime.fromisoformat("2026-03-07T10:00:00+01:00"))
    assert from_epoch(calendar.next_open(saturday), calendar.zone).isoformat() == (
        "2026-03-09T08:00:00+01:00")
    assert calendar.next_open(saturday + 2 * 86400) == saturday + 2 * 86400  # Mon 10:00


@pytest.mark.parametrize("name", ["office", "ny_office", "night_warsaw", "daily"])
def test_due_measured_back_equals_the_target(name: str) -> None:
    calendar = cal(name)
    rng = random.Random(f"sla-{name}")
    base = to_epoch(datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    for _ in range(300):
        start = base + rng.randrange(365 * 86400)
        target = rng.randrange(1, 300 * 3600)
        end = calendar.add_business_seconds(start, target)
        assert calendar.business_seconds(start, end) == target
        assert calendar.business_seconds(start, end - 1) == target - 1  # the earliest moment
        assert calendar.is_open(end - 1)


@pytest.mark.parametrize("name", ["office", "night_ny", "daily"])
def test_business_seconds_agree_with_a_minute_by_minute_count(name: str) -> None:
    calendar = cal(name)
    rng = random.Random(f"minutes-{name}")
    base = to_epoch(datetime.fromisoformat("2026-03-01T00:00:00+00:00"))
    for _ in range(40):
        start = base + 60 * rng.randrange(300 * 1440)
        minutes = rng.randrange(1, 10 * 1440)
        counted = sum(60 for i in range(minutes) if calendar.is_open(start + 60 * i))
        assert calendar.business_seconds(start, start + 60 * minutes) == counted


def test_durations_and_thresholds() -> None:
    assert [parse_duration(t) for t in ("30m", "4h", "1h30m", "1h 30m")] == [
        1800, 14400, 5400, 5400]
    assert parse_threshold("75%").elapsed_at(57600) == 43200
    assert parse_threshold("30m before").elapsed_at(57600) == 55800
    assert parse_threshold("30m before").elapsed_at(1800) is None
    assert parse_threshold("30 m before").label == "30m before"
    for bad in ("2d", "4", "4x", "0m", "100%", "soon"):
        with pytest.raises(DurationError):
            parse_threshold(bad) if bad.endswith("%") or bad == "soon" else parse_duration(bad)
