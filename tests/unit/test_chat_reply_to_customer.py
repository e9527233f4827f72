"""Which press of "Reply to customer" makes an agent's triage message public, on plain data:
the same agent, the same thread, after the press and before it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postdesk.chat.reply_to_customer import ReplyArm, live_arm

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
ARM = ReplyArm(platform="slack", channel="C3", thread_root="9.9", user_id="U_AGENT",
               inbound_id=40, until=NOW + timedelta(minutes=10))
MESSAGE = {"platform": "slack", "channel": "C3", "thread_root": "9.9",
           "user_id": "U_AGENT", "inbound_id": 41}


def test_the_presser_s_next_message_in_the_thread_is_covered() -> None:
    assert live_arm([ARM], **MESSAGE, now=NOW) == ARM


def test_another_agent_thread_or_an_earlier_message_is_not() -> None:
    for other in ({"user_id": "U_OTHER"}, {"thread_root": "8.8"}, {"channel": "C4"},
                  {"platform": "teams"}, {"inbound_id": 39}, {"inbound_id": 40}):
        assert live_arm([ARM], **{**MESSAGE, **other}, now=NOW) is None, other


def test_a_press_expires() -> None:
    assert live_arm([ARM], **MESSAGE, now=ARM.until) == ARM
    assert live_arm([ARM], **MESSAGE, now=ARM.until + timedelta(seconds=1)) is None


def test_the_newest_press_counts_and_survives_a_round_trip_through_the_event() -> None:
    newer = ReplyArm(**{**ARM.as_data(), "inbound_id": 45,
                        "until": NOW + timedelta(minutes=30)})
    assert ReplyArm.from_data(newer.as_data()) == newer
    assert live_arm([ARM, newer], **{**MESSAGE, "inbound_id": 46}, now=NOW) == newer
    assert ReplyArm.from_data({"platform": "slack"}) is None
    assert ReplyArm.from_data({**ARM.as_data(), "until": "tomorrow"}) is None
