"""Queue filters and sorting run as SQL on SQLite and PostgreSQL, with live SLA states."""

from __future__ import annotations

from datetime import timedelta

from postdesk.store.db import utcnow
from postdesk.ticket_queues.loader import parse_queues
from postdesk.ticket_queues.query import queue_count, queue_tickets
from queues.conftest import QueueDesk


def ids(desk: QueueDesk, condition: str, sort: str = "[id]", **kwargs: object) -> list[int]:
    book = parse_queues(f"queues:\n  - name: q\n    if: {condition}\n    sort: {sort}\n")
    queue = book.get("q")
    assert queue is not None
    rows = queue_tickets(queue, utcnow(), **kwargs)  # type: ignore[arg-type]
    assert queue_count(queue, utcnow()) == len(rows)
    return [row["id"] for row in rows]


def test_filters_by_ticket_fields(queue_desk: QueueDesk) -> None:
    d = queue_desk
    printer = d.ticket("Printer on FIRE", request_type="hardware", team="hardware")
    laptop = d.ticket("Laptop", request_type="hardware", team="hardware",
                      assignee="ann@example.com", priority="high")
    password = d.ticket("Passwort vergessen — ŻÓŁW", request_type="access", team="support",
                        status="waiting_for_customer", tags=["vip", "de"])
    other = d.ticket("50% off_sale", tags=["vip_x"])
    assert ids(d, "{request_type: [hardware], assignee: none}") == [printer]
    assert ids(d, "{assignee: [ann@example.com]}") == [laptop]
    assert ids(d, "{team: [support, none]}") == [password, other]
    assert ids(d, "{status: [waiting_for_customer]}") == [password]
    assert ids(d, "{priority: high}") == [laptop]
    assert ids(d, "{tags: vip}") == [password]  # not vip_x
    assert ids(d, "{subject_contains: printer}") == [printer]  # any case
    assert ids(d, "{subject_contains: żółw}") == [password]  # any case, any alphabet
    assert ids(d, "{subject_contains: '%'}") == [other]  # LIKE wildcards are plain text
    assert ids(d, "{subject_contains: 'o_f'}") == []  # '_' would match 'off'
    assert ids(d, f"{{ticket: [{laptop}, {other}]}}") == [laptop, other]
    assert ids(d, "{any: [{priority: high}, {tags: vip}]}") == [laptop, password]
    assert ids(d, "{request_type: hardware, not: {priority: high}}") == [printer]
    assert ids(d, "{customer_language: en}") == [printer, laptop, password, other]
    assert ids(d, "{ticket_age: {less_than: 1h}}") == [printer, laptop, password, other]


def test_live_sla_states_and_sorting_by_due(queue_desk: QueueDesk) -> None:
    d = queue_desk
    fresh = d.ticket("Fresh", minutes_ago=5)
    warned = d.ticket("Warned", minutes_ago=190)  # 75% of 4h = 3h: warning, 50m left
    late = d.ticket("Late", minutes_ago=250)  # 4h passed: breached
    paused = d.ticket("Paused", minutes_ago=60, status="waiting_for_customer")
    assert ids(d, "{sla_state: [warning, breached]}", "[sla_due]") == [late, warned]
    assert ids(d, "{sla_state: ok}") == [fresh]
    assert ids(d, "{sla_state: paused}") == [paused]
    assert ids(d, "{sla_state: none}") == []
    assert ids(d, "{}", "[sla_due]") == [late, warned, fresh, paused]
    assert ids(d, "{}", "[-created]") == [fresh, paused, warned, late]
    rows = queue_tickets(parse_queues("queues:\n  - name: q\n    sort: [sla_due]\n").queues[0],
                         utcnow())
    assert list(rows[0]) == ["id", "subject", "status", "public_status", "priority",
                             "requester", "assignee", "team", "request_type", "sla"]
    assert rows[0]["sla"]["first_response"]["state"] == "breached"
    assert rows[1]["sla"]["first_response"]["state"] == "warning"
    assert 2900 <= rows[1]["sla"]["first_response"]["remaining_s"] <= 3000
    assert rows[3]["sla"]["first_response"] == {
        "state": "paused", "due": None,
        "remaining_s": rows[3]["sla"]["first_response"]["remaining_s"]}


def test_a_clock_that_passes_its_due_time_is_breached_without_any_write(
        queue_desk: QueueDesk) -> None:
    d = queue_desk
    ticket = d.ticket("Almost", minutes_ago=239)  # one minute left
    book = parse_queues("queues:\n  - name: q\n    if: {sla_state: breached}\n")
    queue = book.queues[0]
    assert queue_count(queue, utcnow()) == 0
    later = utcnow() + timedelta(minutes=2)
    assert [r["id"] for r in queue_tickets(queue, later)] == [ticket]
    assert queue_tickets(queue, later)[0]["sla"]["first_response"]["state"] == "breached"


def test_sort_by_priority_and_limit(queue_desk: QueueDesk) -> None:
    d = queue_desk
    low = d.ticket("Low", priority="low")
    urgent = d.ticket("Urgent", priority="urgent")
    normal = d.ticket("Normal")
    assert ids(d, "{}", "[priority]") == [urgent, normal, low]
    book = parse_queues("queues:\n  - name: q\n    sort: [priority]\n    limit: 2\n")
    assert [r["id"] for r in queue_tickets(book.queues[0], utcnow())] == [urgent, normal]
    assert queue_count(book.queues[0], utcnow()) == 3
