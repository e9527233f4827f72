"""A ticket's SLA clocks from its recorded history, kept in its `ticket_sla` row.

Call `refresh(ticket, runtime, now)` after any change to a ticket, inside the
transaction that made the change: it reads the ticket's audit events and
messages, turns them into `SlaEvent`s, picks the policy (first match of
rules/sla.yaml for the ticket as it is now), computes the clocks at `now` and
stores them with the moment of the next warning or breach (`next_at`, the
column the scheduler scans). Nothing here fires warnings: `postdesk.sla.tracking.scan`
does, once per threshold.

How the history reads (what an operator sees in `postdesk ticket show`):

* `ticket.created` -> created, with the priority and team the ticket had then;
* `status.changed` -> status (pause_on statuses hold the clocks, resolve_on
  statuses meet the resolution clock);
* `sla.paused` / `sla.resumed` (the `pause_sla` / `resume_sla` rule actions)
  hold every clock of the policy until resumed, whatever the status; a
  resolved or closed ticket still meets its resolution clock;
* an agent reply is a public outgoing message with an author (not "system",
  not a rule's note); a customer reply is a public incoming message other
  than the one that opened the ticket; internal notes, bounces and
  out-of-office answers (stored internal) count for nothing;
* `priority.changed` -> priority (the targets of the new priority apply to
  the whole history), `assignee.changed` with another team -> assign (OLA);
* `kb.self_served` (the customer solved it with a suggested article) is the
  desk's answer: it meets the response clocks like an agent reply;
* `sla.policy_changed` (recorded here when the selected policy changes) is
  kept for the record.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from postdesk.automation import TicketFacts
from postdesk.config.live_sla import sla_config
from postdesk.config.runtime import Runtime
from postdesk.sla import (
    ClockState,
    Crossing,
    Policy,
    SlaConfig,
    SlaEvent,
    clock_json,
    compute_clocks,
    select_policy,
    thresholds,
)
from postdesk.sla.tracking import live as sla_live
from postdesk.store import sla_store
from postdesk.store.db import CONNECTION_FAILURES, database
from postdesk.store.models import Ticket
from postdesk.store.sla_store import TicketSla, locked_row
from postdesk.store.ticket_history import events_with_messages
from postdesk.store.ticket_reads import ticket_by_id
from postdesk.tickets import service
from postdesk.tickets.automation import facts_of
from postdesk.tickets.statuses import INITIAL_STATUS

log = logging.getLogger(__name__)

#: The status the clocks see while a rule holds them (no desk status has this name).
PAUSED_BY_RULE = "(sla paused by a rule)"
#: Authors whose public outgoing messages are not an agent's answer.
NOT_AGENTS = frozenset({"", "system"})


@dataclass(frozen=True)
class Happening:
    """One audit event of a ticket, with the message it is about (if any)."""

    at: datetime
    kind: str
    data: Mapping[str, Any]
    actor: str = "system"
    direction: str | None = None  # of the message of a message.* event
    visibility: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class Start:
    """The ticket as it was created (before its first recorded change)."""

    at: datetime
    status: str = INITIAL_STATUS
    priority: str | None = None
    team: str | None = None
    sla_paused: bool = False


@dataclass(frozen=True)
class Evaluation:
    """The clocks of one ticket at `as_of` under `policy`."""

    policy: Policy
    clocks: dict[str, ClockState]
    as_of: datetime


def refresh(ticket: Ticket, runtime: Runtime, now: datetime) -> TicketSla | None:
    """Recompute and store the ticket's clocks (None: the desk has no SLA file)."""
    config = sla_config(runtime)
    if config is None:
        return None
    return store(ticket, evaluate(ticket, config, now), now)


def refresh_safely(ticket_id: int, runtime: Runtime, now: datetime) -> None:
    """`refresh` in a savepoint, for the worker: a bug in the SLA never costs a mail (it
    is logged; the clocks catch up at the ticket's next change or `sla recompute`). A
    database that is unavailable still fails the transaction, so the work is retried."""
    try:
        with database.atomic():
            ticket = ticket_by_id(ticket_id)
            if ticket is not None:
                refresh(ticket, runtime, now)
    except CONNECTION_FAILURES:
        raise
    except Exception:
        log.exception("SLA clocks of ticket %s not updated", ticket_id)


def most_urgent_due(ticket: Ticket, runtime: Runtime, now: datetime) -> datetime | None:
    """The earliest due time of the ticket's clocks still counting at `now` (a breached
    one's is past); None without an SLA file or when no clock counts."""
    config = sla_config(runtime)
    if config is None:
        return None
    return sla_live.row_summary(evaluate(ticket, config, now).clocks)[1]


def evaluate(ticket: Ticket, config: SlaConfig, now: datetime) -> Evaluation:
    """The ticket's policy and clocks at `now` (reads the database, writes nothing)."""
    return evaluation_of(ticket, facts_of(ticket), load_history(ticket.id), config, now)


def evaluation_of(ticket: Ticket, facts: TicketFacts, history: Sequence[Happening],
                  config: SlaConfig, now: datetime) -> Evaluation:
    """The policy and clocks of a ticket whose snapshot and history are read (pure)."""
    policy = select_policy(config, facts)
    effective = replace(policy, pause_on=policy.pause_on | {PAUSED_BY_RULE})
    events = to_sla_events(_start(ticket), history, policy.resolve_on)
    return Evaluation(policy, compute_clocks(config, effective, events, now), now)


def store(ticket: Ticket | int, evaluation: Evaluation, now: datetime, *,
          fired: Iterable[str] = (), checked_until: datetime | None = None) -> TicketSla:
    """Write the evaluation to the ticket's row (created if missing), adding `fired` keys
    to those already recorded; records `sla.policy_changed` when the policy changed."""
    ticket_id = ticket if isinstance(ticket, int) else ticket.id
    return store_into(locked_row(ticket_id), ticket_id, evaluation, now, fired=fired,
                      checked_until=checked_until)


def store_into(row: TicketSla | None, ticket_id: int, evaluation: Evaluation, now: datetime,
               *, fired: Iterable[str] = (),
               checked_until: datetime | None = None) -> TicketSla:
    """`store` when the caller has read (and locked) the ticket's row: `row`, None when
    the ticket has none yet."""
    if row is None:
        created = sla_store.create_row(
            ticket_id, now, _stored_values(evaluation, sorted(set(fired)), checked_until))
        if created is not None:
            return created
        row = locked_row(ticket_id)  # another worker created it a moment ago
        assert row is not None
    elif row.policy != evaluation.policy.name:
        service.record_event(ticket_id, "sla.policy_changed",
                             {"old": row.policy, "new": evaluation.policy.name},
                             actor="system", now=now)
    sla_store.update_row(row, now, _stored_values(
        evaluation, sorted(set(row.fired or ()) | set(fired)), checked_until))
    return row


def _stored_values(evaluation: Evaluation, fired: list[str],
                   checked_until: datetime | None) -> dict[str, Any]:
    """The columns of a ticket's row that an evaluation sets (`fired`: every key so far)."""
    state, due_at, warn_at = sla_live.row_summary(evaluation.clocks)
    values = {
        "policy": evaluation.policy.name,
        "clocks": {name: {**clock, **sla_live.stored_extras(evaluation.clocks[name])}
                   for name, clock in clocks_json(evaluation.clocks).items()},
        "state": state, "due_at": due_at, "warn_at": warn_at, "fired": fired,
        "next_at": next_due(evaluation.clocks, fired),
    }
    if checked_until is not None:
        values["checked_until"] = checked_until
    return values


def clocks_json(clocks: Mapping[str, ClockState]) -> dict[str, Any]:
    """What the row keeps per clock: the `sla simulate` shape, plus cycle, target and
    the moment the clock was met (answered, resolved; None while open), which
    `postdesk report sla` reads to tell a late answer from no answer."""
    return {name: {**clock_json(clock), "cycle": clock.cycle, "target_s": clock.target_s,
                   "met_at": None if clock.met_at is None else clock.met_at.isoformat()}
            for name, clock in clocks.items()}


def pending_crossings(clocks: Mapping[str, ClockState], fired: Iterable[str],
                      until: datetime) -> list[Crossing]:
    """Warnings and breaches at or before `until` not fired yet, by time. Warnings of a
    clock that is met are moot and left out; a breach is never moot."""
    done = set(fired)
    return [c for c in _live(clocks) if c.at <= until and c.key not in done]


def next_due(clocks: Mapping[str, ClockState], fired: Iterable[str]) -> datetime | None:
    """The earliest warning or breach not fired yet (may be past: then the next scan
    takes it); None when nothing is ahead."""
    done = set(fired)
    return min((c.at for c in _live(clocks) if c.key not in done), default=None)


def _live(clocks: Mapping[str, ClockState]) -> list[Crossing]:
    return [c for c in thresholds(clocks)
            if c.label == "breach" or clocks[c.clock].state != "met"]


def load_history(ticket_id: int) -> list[Happening]:
    """The ticket's audit events in the order they happened, with their messages."""
    return load_histories([ticket_id])[ticket_id]


def load_histories(ticket_ids: Sequence[int]) -> dict[int, list[Happening]]:
    """`load_history` of several tickets with two queries (this runs for every changed
    ticket)."""
    return events_with_messages(ticket_ids, Happening)


def _start(ticket: Ticket) -> Start:
    return Start(ticket.created_at, ticket.status, ticket.priority, ticket.team,
                 ticket.sla_paused)


def to_sla_events(start: Start, history: Sequence[Happening],
                  resolve_on: Iterable[str] = ("resolved", "closed")) -> list[SlaEvent]:
    """The SlaEvents of a ticket's history (pure). `start` holds the ticket's current
    values; the first recorded change of each tells what it was at creation."""
    status = _first_old(history, "status.changed", None) or start.status
    priority = _first_old(history, "priority.changed", "priority") or start.priority
    team = _first_old(history, "assignee.changed", "team", start.team)
    paused = bool(_first_old(history, ("sla.paused", "sla.resumed"), "sla_paused",
                             start.sla_paused))
    done = frozenset(resolve_on)

    def seen() -> str:
        return PAUSED_BY_RULE if paused and status not in done else status

    created_at = next((h.at for h in history if h.kind == "ticket.created"), start.at)
    events = [SlaEvent(created_at, "status", seen()), SlaEvent(created_at, "created",
                                                               priority=priority)]
    if team:
        events.append(SlaEvent(created_at, "assign", team))
    shown, opening_seen = seen(), False
    for item in history:
        new = item.data.get("new")
        if item.kind == "status.changed":
            status = str(new)
        elif item.kind in ("sla.paused", "sla.resumed") and isinstance(new, Mapping):
            paused = bool(new.get("sla_paused"))
        elif item.kind == "priority.changed" and isinstance(new, Mapping):
            events.append(SlaEvent(item.at, "priority", new.get("priority")))
        elif item.kind == "assignee.changed" and isinstance(new, Mapping) and "team" in new:
            if new["team"] != team:
                team = new["team"]
                events.append(SlaEvent(item.at, "assign", team))
        elif item.kind == "kb.self_served":  # the suggested article was the desk's answer
            events.append(SlaEvent(item.at, "agent_reply"))
        elif item.kind == "sla.policy_changed":
            events.append(SlaEvent(item.at, "policy", str(new)))
        elif item.kind in ("message.sent", "message.received"):
            kind = _message_kind(item, opening_seen, created_at)
            opening_seen = opening_seen or _is_public_inbound(item)
            if kind is not None:
                events.append(SlaEvent(item.at, kind))
        if seen() != shown:
            shown = seen()
            events.append(SlaEvent(item.at, "status", shown))
    return events


def _first_old(history: Sequence[Happening], kinds: str | tuple[str, ...],
               field: str | None, default: Any = None) -> Any:
    wanted = (kinds,) if isinstance(kinds, str) else kinds
    for item in history:
        if item.kind in wanted:
            old = item.data.get("old")
            if field is None:
                return old
            return old.get(field, default) if isinstance(old, Mapping) else default
    return default


def _is_public_inbound(item: Happening) -> bool:
    direction = item.direction or ("in" if item.kind == "message.received" else "out")
    visibility = item.visibility or item.data.get("visibility", "public")
    return direction == "in" and visibility == "public"


def _message_kind(item: Happening, opening_seen: bool, created_at: datetime) -> str | None:
    direction = item.direction or ("in" if item.kind == "message.received" else "out")
    visibility = item.visibility or item.data.get("visibility", "public")
    if visibility != "public":
        return None
    if direction == "out":
        author = (item.author if item.author is not None else item.actor or "").lower()
        return None if author in NOT_AGENTS or author.startswith("rule:") else "agent_reply"
    if not opening_seen and item.at <= created_at:
        return None  # the mail that opened the ticket
    return "customer_reply"
