"""A stored render context comes back with its datetimes, whatever its shape."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime

from postdesk.channels.email.sender import revive_datetimes


def test_datetimes_come_back_at_any_depth_and_nothing_else_changes() -> None:
    stored = {
        "ticket": {"id": 7, "created_at": "2026-03-27T09:30:00+00:00", "sla_due": None,
                   "subject": "2026-03-27T09:30:00", "priority": 2.5, "vip": True},
        "sla_due": "2026-03-30T09:30:00",
        "tickets": [{"id": 1, "sla": [{"due_at": "2026-03-30T10:00:00+02:00"}]}, 3, "x"],
        "digest": OrderedDict(sent_at="2026-03-27T10:00:00+00:00"),
        "note_at": 5,
    }
    revived = revive_datetimes(stored)
    assert revived["ticket"] == {**stored["ticket"],
                                 "created_at": datetime(2026, 3, 27, 9, 30, tzinfo=UTC)}
    assert revived["sla_due"] == datetime(2026, 3, 30, 9, 30)
    assert revived["tickets"][0]["sla"] == [
        {"due_at": datetime.fromisoformat("2026-03-30T10:00:00+02:00")}]
    assert revived["tickets"][1:] == [3, "x"]
    assert revived["digest"] == {"sent_at": datetime(2026, 3, 27, 10, 0, tzinfo=UTC)}
    assert revived["note_at"] == 5
    assert stored["ticket"]["created_at"] == "2026-03-27T09:30:00+00:00"  # not changed
