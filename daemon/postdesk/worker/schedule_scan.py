"""Time-based rules: the `schedule` event, evaluated every minute by the leader node.

Rules with `on: schedule` look at tickets as time passes ("waiting for the
customer for more than 7 days"). The scan offers every ticket that is not
closed to those rules, one transaction per ticket, in batches; closed tickets
are never scanned. A schedule rule fires on every scan while its conditions
hold, so it should change something its own conditions look at (the shipped
rule resolves the ticket, which ends the match).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from postdesk.automation import EventFacts
from postdesk.config.runtime import Runtime
from postdesk.report.schedule import send_scheduled_reports
from postdesk.sla.tracking import track as sla_track
from postdesk.store.db import database, utcnow
from postdesk.store.ticket_reads import ticket_by_id, ticket_ids_not_in
from postdesk.ticket_queues.schedule import send_scheduled_digests
from postdesk.tickets.automation import Trigger, run_automations
from postdesk.tickets.duplicate_intake import prune_index

log = logging.getLogger(__name__)

BATCH = 500


@dataclass
class ScheduleResult:
    scanned: int = 0
    changed: int = 0
    outbox_ids: list[int] = field(default_factory=list)


def scan(now: datetime, runtime: Runtime) -> ScheduleResult:
    """Offer every ticket that is not closed to the schedule rules, as of `now`."""
    result = ScheduleResult()
    if not runtime.rules.for_event("schedule"):
        return result
    closed = runtime.statuses.names_of_kind("closed")
    last_id = 0
    while ids := ticket_ids_not_in(closed, last_id, BATCH):
        for ticket_id in ids:
            _scan_ticket(ticket_id, now, runtime, result)
        last_id = ids[-1]
    return result


def _scan_ticket(ticket_id: int, now: datetime, runtime: Runtime,
                 result: ScheduleResult) -> None:
    with database.atomic():
        ticket = ticket_by_id(ticket_id)
        if ticket is None:
            return
        before = (ticket.status, ticket.priority, ticket.assignee, ticket.updated_at)
        trigger = Trigger(EventFacts("schedule", author_role="system"))
        outbox_ids = run_automations(ticket, trigger, runtime, now)
        result.scanned += 1
        if (ticket.status, ticket.priority, ticket.assignee, ticket.updated_at) != before:
            result.changed += 1
            sla_track.refresh_safely(ticket.id, runtime, now)
        result.outbox_ids += outbox_ids


def run_once(runtime: Runtime, dispatch: Callable[[int], None]) -> ScheduleResult:
    """One scan now, on the daemon's own connection; dispatch the mail it decided."""
    with database.connection_context():
        result = scan(utcnow(), runtime)
        result.outbox_ids += send_scheduled_digests(utcnow(), runtime)  # send_queue_digest
        result.outbox_ids += send_scheduled_reports(utcnow(), runtime)  # send_report
        prune_index(runtime, utcnow())  # duplicates: tickets never compared again
    for outbox_id in result.outbox_ids:
        dispatch(outbox_id)
    if result.changed:
        log.info("schedule rules changed %d of %d tickets", result.changed, result.scanned)
    return result
