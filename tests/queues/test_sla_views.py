"""`postdesk ticket show` and `postdesk tickets --sort due` show each clock live (issue 8)."""

from __future__ import annotations

import json

from rich.text import Text

from postdesk.cli.render_sla import sla_cell
from queues.conftest import QueueDesk


def test_ticket_show_lists_each_clock_with_state_and_time_left(queue_desk: QueueDesk) -> None:
    ticket = queue_desk.ticket("Printer on fire", minutes_ago=200)  # 4h target: 40m left
    shown = queue_desk.cli("ticket", "show", str(ticket))
    assert shown.exit_code == 0, shown.output
    first, resolution = (line.split() for line in shown.output.splitlines()
                         if line.startswith("SLA "))
    assert first[1:5] == ["first", "reply", "warning", first[4]]
    assert first[4] in ("40m", "39m") and first[5] == "left"
    assert resolution[1:3] == ["resolution", "ok"] and resolution[3] in ("12h40m", "12h39m")

    data = json.loads(queue_desk.cli("ticket", "show", str(ticket), "--json").output)
    first = data["sla"]["first_response"]
    assert first["state"] == "warning" and 2340 <= first["remaining_s"] <= 2400
    assert first["due"] is not None
    assert data["sla"]["resolution"]["state"] == "ok"
    assert data["sla_state"] == "warning"
    assert "messages" in data  # the old fields stay


def test_tickets_sort_due_puts_the_soonest_due_first_with_time_left(
        queue_desk: QueueDesk) -> None:
    calm = queue_desk.ticket("Calm", minutes_ago=10)
    late = queue_desk.ticket("Late", minutes_ago=300)  # 1h over the 4h first response
    paused = queue_desk.ticket("Waiting", minutes_ago=100, status="waiting_for_customer")
    rows = json.loads(queue_desk.cli("tickets", "--sort", "due", "--json").output)
    assert [r["id"] for r in rows] == [late, calm, paused]
    assert rows[0]["sla"]["first_response"]["state"] == "breached"
    assert rows[0]["sla"]["first_response"]["remaining_s"] < -3500
    assert rows[2]["sla_state"] == "paused" and rows[2]["sla"]["first_response"]["due"] is None
    newest = json.loads(queue_desk.cli("tickets", "--json").output)
    assert [r["id"] for r in newest] == [paused, late, calm]

    table = queue_desk.cli("tickets", "--sort", "due").output
    assert table.index("Late") < table.index("Calm") < table.index("Waiting")
    assert "1h00m over" in table or "59m over" in table
    assert "paused" in table


def test_clock_cells_are_coloured_by_state() -> None:
    cell = sla_cell({"first_response": {"state": "breached", "remaining_s": -600, "due": "x"},
                     "resolution": {"state": "warning", "remaining_s": 1200, "due": "y"},
                     "next_response": {"state": "met", "remaining_s": 0, "due": None}})
    assert cell.plain == "first reply 10m over · resolution 20m left"
    styles = {cell.plain[span.start:span.end]: str(span.style) for span in cell.spans}
    assert styles["first reply 10m over"] == "bold red"
    assert styles["resolution 20m left"] == "yellow"
    assert sla_cell({"resolution": {"state": "met", "remaining_s": 5, "due": None}}).plain \
        == "met"
    assert isinstance(cell, Text)


def test_ticket_show_labels_every_time_with_the_desks_zone(queue_desk: QueueDesk) -> None:
    """The clocks run on a UTC calendar, the desk lives in Warsaw: every time on screen is
    in the desk's zone and says so, never a bare time next to a labelled one (issue 24)."""
    import re
    from datetime import datetime
    from zoneinfo import ZoneInfo

    toml = queue_desk.settings.source
    toml.write_text(toml.read_text().replace('timezone = "UTC"',
                                             'timezone = "Europe/Warsaw"', 1))
    ticket = queue_desk.ticket("Printer on fire", minutes_ago=30, status="in_progress")
    shown = queue_desk.cli("ticket", "show", str(ticket))
    assert shown.exit_code == 0, shown.output
    stamps = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d(?: \S+)?", shown.output)
    assert len(stamps) >= 2, shown.output  # the due time and the status change at least
    zone = ZoneInfo("Europe/Warsaw")
    abbreviation = datetime.now(zone).tzname()
    assert all(stamp.endswith(f" {abbreviation}") for stamp in stamps), stamps
    data = json.loads(queue_desk.cli("ticket", "show", str(ticket), "--json").output)
    due = datetime.fromisoformat(data["sla"]["resolution"]["due"]).astimezone(zone)
    assert f"due {due:%Y-%m-%d %H:%M} {abbreviation}" in shown.output


def test_a_ticket_closed_without_a_reply_shows_no_paused_first_reply(
        queue_desk: QueueDesk) -> None:
    """Closed without a reply: no "first reply paused" for ever, and not open in the SLA
    report (issue 24)."""
    ticket = queue_desk.ticket("Spam", minutes_ago=30, status="closed")
    shown = queue_desk.cli("ticket", "show", str(ticket))
    assert shown.exit_code == 0, shown.output
    assert "first reply" not in shown.output and "paused" not in shown.output
    assert "SLA resolution" in shown.output and "met" in shown.output
    report = json.loads(queue_desk.cli("report", "sla", "--format", "json").output)
    total = report["total"]["clocks"]
    assert total.get("first_response", {"open": 0})["open"] == 0
    assert total["resolution"]["met"] == 1
