"""Agents' initials badges and the help text's example team (issue 26)."""

from __future__ import annotations

import pytest

from postdesk.notify.badge import PALETTE, TEXT, badge, badge_colour, initials
from postdesk.notify.colours import TEXT_CONTRAST, contrast_ratio
from postdesk.tickets.mailing import assign_example


@pytest.mark.parametrize("name, letters", [
    ("Anna Nowak", "AN"), ("Anna Maria Nowak", "AN"), ("Jonas", "J"), ("zofia wiśniewska", "ZW"),
    ("Łukasz Żak", "ŁŻ"), ("anna.nowak@example.com", "AN"), ("", "?")])
def test_initials(name: str, letters: str) -> None:
    assert initials(name) == letters


def test_every_badge_colour_is_readable_with_white_text() -> None:
    for colour in PALETTE:
        assert contrast_ratio(colour, TEXT) >= TEXT_CONTRAST, colour


def test_the_colour_is_the_same_for_an_agent_every_time_and_differs_between_agents() -> None:
    assert badge_colour("Anna Nowak") == badge_colour("anna nowak ")
    names = ["Anna Nowak", "Piotr Nowak", "Jonas Becker", "Zoe Kowalska", "Ewa Wiśniewska",
             "Support EN", "Support PL", "Max Mustermann"]
    assert len({badge_colour(name) for name in names}) >= 4


def test_the_badge_is_escaped_html() -> None:
    html = str(badge("<b>Eve</b> Evil"))
    assert "<b>" not in html and html.endswith(">E</span>") and "background-color:#" in html
    assert str(badge("")) == ""


def test_the_help_text_suggests_a_team_the_desk_has() -> None:
    assert assign_example(None, ("support", "hardware")) == "team:support"
    assert assign_example("support", ("support", "hardware")) == "team:hardware"
    assert assign_example("support", ("support",)) == "team:support"
    assert assign_example(None, ()) == "me"
