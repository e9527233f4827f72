"""The figures of the reports people read, written as the reader's language writes
them (issue 22): a decimal comma in German and Polish, Babel's short units for times."""

from __future__ import annotations

import pytest

from postdesk.report.numbers import Numbers

NBSP = "\xa0"


@pytest.mark.parametrize(("language", "rate", "count", "long_time", "short_time"), [
    ("en", "45.2%", "12,345", "4h 05m", "25m"),
    ("pl", "45,2%", f"12{NBSP}345", "4 h 05 min", "25 min"),
    ("de", f"45,2{NBSP}%", "12.345", "4h 05 Min.", "25 Min."),
    ("de-AT", f"45,2{NBSP}%", "12.345", "4h 05 Min.", "25 Min."),
])
def test_figures_in_the_reader_s_language(language: str, rate: str, count: str,
                                          long_time: str, short_time: str) -> None:
    numbers = Numbers.of(language)
    assert numbers.percent(0.452) == rate
    assert numbers.number(12345) == count
    assert numbers.span(4 * 3600 + 5 * 60 + 7) == long_time
    assert numbers.span(25 * 60) == short_time


def test_whole_percentages_keep_no_decimals_and_missing_figures_a_dash() -> None:
    english = Numbers.of("en")
    assert english.percent(1 / 3) == "33.3%" and english.percent(0.5) == "50%"
    assert english.percent(None) == english.span(None) == english.number(None) == "-"
    assert english.span(45) == "45s"


def test_an_unknown_language_writes_english_figures() -> None:
    assert Numbers.of("xx").percent(0.452) == "45.2%"
    assert Numbers.of(None).percent(0.452) == "45.2%"
