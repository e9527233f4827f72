"""A new ticket's suggestions are one `kb.suggested` event carrying each of them; the
events of desks before (one suggestion each) read the same: the articles offered, and the
ticket's activity lines."""

from __future__ import annotations

from postdesk.cli.render_tickets import describe_event
from postdesk.tickets.kb_offered import SUGGESTED, offered, suggested_event

THREE = [{"article": "vpn-access", "language": "de", "score": 0.91, "rank": 1},
         {"article": "vpn-token", "language": "de", "score": 0.5, "rank": 2},
         {"article": "wifi", "language": "de", "score": 0.33, "rank": 3}]


def event(data: dict, created_at: str = "2026-12-07T23:50:00+00:00") -> dict:
    return {"kind": SUGGESTED, "data": data, "actor": "system", "rule": None,
            "created_at": created_at}


def test_one_event_carries_every_suggestion_in_the_order_offered() -> None:
    assert offered(suggested_event(THREE)) == THREE


def test_an_event_of_one_suggestion_reads_as_before() -> None:
    answered = {**THREE[0], "answered": True}
    assert offered(THREE[0]) == [THREE[0]]
    assert offered(answered) == [answered]


def test_the_activity_shows_a_line_per_suggestion_as_one_event_each_did() -> None:
    one_each = [describe_event(event(one)) for one in THREE]
    assert describe_event(event(suggested_event(THREE))) == "\n".join(one_each)
    assert one_each[1] is not None and one_each[1].endswith(
        "kb: suggested vpn-token (de, 50%) (by system)")
