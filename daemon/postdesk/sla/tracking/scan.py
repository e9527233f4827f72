"""The scheduler's SLA scan: raise warnings and breaches when they are due, once each.

`scan(now, runtime)` runs every minute on the node that holds the scheduler
lease. It reads only the `ticket_sla` rows whose indexed `next_at` is due
(`next_at <= now`), oldest first, in batches, so its cost follows the number
of due tickets, not the number of open ones. For each ticket, in its own
transaction:

1. the clocks are recomputed at `now` from the ticket's history (a late
   scan, a changed policy or pause gives the exact moments);
2. every warning and breach at or before `now` whose key
   (`resolution#1:75%`) is not in the row's `fired` list is recorded as an
   `sla.warning` / `sla.breached` event on the ticket, with the clock, its
   cycle, the threshold label and the moment, and the rules run for it
   (`on: sla.warning`; in conditions `changed_from` is the clock name and
   `changed_to` the label: `75%`, `30m before`, `breach`). Their mail gets
   `sla: {clock, label, cycle, policy, due_at, warned_at}` for the
   sla_warning template, and a warning's `notify` waits for the recipient's
   business hours unless the rule says `anytime: true`
   (`postdesk.tickets.notify_hold`);
3. the keys are added to `fired`, `checked_until` becomes `now` and
   `next_at` the next threshold not fired yet.

Running the scan twice, or on two nodes at once, fires nothing twice: the
row is locked (PostgreSQL) or the writer is alone (SQLite), and a row
another scan already moved past `now` is skipped. A ticket that fails is
logged and skipped until its next threshold (the rest of the scan goes on).
Outbox rows made by the rules are returned for dispatch after the commit
(the sweeper would find them anyway).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from postdesk.automation import EventFacts
from postdesk.config.live_sla import sla_config
from postdesk.config.runtime import Runtime
from postdesk.sla import Crossing, SlaConfig
from postdesk.sla.tracking import track as sla_track
from postdesk.store.db import database, utcnow
from postdesk.store.models import Ticket
from postdesk.store.sla_store import due_rows, locked_row
from postdesk.store.ticket_reads import ticket_by_id
from postdesk.tickets import service
from postdesk.tickets.automation import Trigger, run_automations
from postdesk.tickets.chat_triage import post_sla_crossing

log = logging.getLogger(__name__)

#: Rows read per query; each ticket is then handled in its own short transaction.
SCAN_BATCH = 500


@dataclass
class ScanResult:
    """What one scan did."""

    tickets: int = 0  # due rows looked at
    fired: list[tuple[int, str]] = field(default_factory=list)  # (ticket id, crossing key)
    failed: list[int] = field(default_factory=list)  # ticket ids
    outbox_ids: list[int] = field(default_factory=list)  # to dispatch after the commit


def scan(now: datetime, runtime: Runtime, *, batch: int = SCAN_BATCH) -> ScanResult:
    """Fire the SLA warnings and breaches due at `now` (see the module docstring)."""
    result = ScanResult()
    config = sla_config(runtime)
    if config is None:
        return result
    after: tuple[datetime, int] | None = None
    while True:
        rows = due_rows(now, batch, after)
        for _, ticket_id, _ in rows:
            result.tickets += 1
            try:
                with database.atomic():
                    fired, outbox = scan_ticket(ticket_id, config, runtime, now)
            except Exception:
                log.exception("SLA scan of ticket %s failed; it is tried again at its next "
                              "threshold", ticket_id)
                result.failed.append(ticket_id)
                continue
            result.fired += [(ticket_id, key) for key in fired]
            result.outbox_ids += outbox
        if len(rows) < batch:
            break
        after = (rows[-1][2], rows[-1][0])
    if result.fired:
        log.info("SLA scan: %d warnings and breaches on %d tickets",
                 len(result.fired), len({t for t, _ in result.fired}))
    return result


def run_once(runtime: Runtime, dispatch: Callable[[int], None]) -> ScanResult:
    """One scan at the current time for the daemon (its own connection), then hand
    the outbox rows the rules made to `dispatch` (the daemon's `dispatcher.outgoing`)."""
    with database.connection_context():
        result = scan(utcnow(), runtime)
    for outbox_id in result.outbox_ids:
        dispatch(outbox_id)
    return result


def scan_ticket(ticket_id: int, config: SlaConfig, runtime: Runtime, now: datetime
                ) -> tuple[list[str], list[int]]:
    """Handle one due ticket inside the caller's transaction -> (keys fired, outbox ids)."""
    row = locked_row(ticket_id)
    if row is None or row.next_at is None or row.next_at > now:
        return [], []  # another scan got here first
    ticket = ticket_by_id(ticket_id)
    if ticket is None:
        return [], []
    evaluation = sla_track.evaluate(ticket, config, now)
    crossings = sla_track.pending_crossings(evaluation.clocks, row.fired or (), now)
    trigger = Trigger(event=EventFacts("sla.warning"))
    for crossing in crossings:
        trigger.event = _record(ticket, crossing, evaluation.policy.name, now)
        trigger.mail_context = {"sla": _mail_context(crossing, evaluation)}
        run_automations(ticket, trigger, runtime, now)
        post_sla_crossing(ticket.id, trigger.mail_context["sla"], runtime, now)
    fired = [c.key for c in crossings]
    if crossings:  # the rules may have changed priority, team or status
        reread = ticket_by_id(ticket_id)
        assert reread is not None, "read in this transaction, and tickets are not deleted"
        ticket = reread
        evaluation = sla_track.evaluate(ticket, config, now)
    sla_track.store(ticket, evaluation, now, fired=fired, checked_until=now)
    return fired, trigger.outbox_ids


def _mail_context(crossing: Crossing, evaluation: sla_track.Evaluation) -> dict[str, Any]:
    """What the sla_warning template shows: the clock, when it is (was) due, and when the
    threshold was crossed (`warned_at`)."""
    clock = evaluation.clocks.get(crossing.clock)
    due = (clock.due or clock.breached_at) if clock is not None else None
    return {"clock": crossing.clock, "label": crossing.label, "cycle": crossing.cycle,
            "policy": evaluation.policy.name, "due_at": (due or crossing.at).isoformat(),
            "warned_at": crossing.at.isoformat()}


def _record(ticket: Ticket, crossing: Crossing, policy: str, now: datetime) -> EventFacts:
    kind = "sla.breached" if crossing.label == "breach" else "sla.warning"
    service.record_event(ticket, kind, {
        "clock": crossing.clock, "cycle": crossing.cycle, "label": crossing.label,
        "at": crossing.at.isoformat(), "key": crossing.key, "policy": policy,
    }, actor="system", now=now)
    return EventFacts(kind, old=crossing.clock, new=crossing.label)
