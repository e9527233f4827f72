"""What each ticket-changing action does to the database, written once.

The vocabulary is the rules' (`postdesk.automation.actions`): an `Effect`
names a registered action and its parameters. A rule's `set_status: resolved`
comes out of the rules engine as one; an agent's `#status resolved` is parsed
into the same (`commands.command_effects`), and so will a chat command be.
Either way `apply_effect` hands it to the one applier below, which writes
through `tickets.service` with the agent or the rule as the author.

Actions that make mail (`reply`, `notify`, `resolve_linked`'s message) need
the mail that caused them and are applied by `tickets.automation`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from postdesk.automation import Effect
from postdesk.store import ticket_lookups
from postdesk.store.models import Ticket
from postdesk.tickets import service
from postdesk.tickets.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ChangedBy:
    """Who makes a change and when: an agent's address, or "system" and the rule's name."""

    actor: str
    now: datetime
    rule: str | None = None
    work: UnitOfWork | None = None


@dataclass(frozen=True)
class Change:
    """A change that rules listen to (status, priority, assignee): the event, old and new."""

    kind: str
    old: str | None
    new: str | None


Applier = Callable[[Ticket, Mapping[str, Any], ChangedBy], Change | None]


def _set_status(ticket: Ticket, params: Mapping[str, Any], by: ChangedBy) -> Change | None:
    old, new = ticket.status, params["status"]
    changed = service.set_status(ticket, new, actor=by.actor, now=by.now, rule=by.rule,
                                 reason=params.get("reason", ""), work=by.work)
    return Change("status.changed", old, new) if changed else None


def _set_priority(ticket: Ticket, params: Mapping[str, Any], by: ChangedBy) -> Change | None:
    old, new = ticket.priority, params["priority"]
    changed = _change(ticket, "priority.changed", by, priority=new)
    return Change("priority.changed", old, new) if changed else None


def _assign(ticket: Ticket, params: Mapping[str, Any], by: ChangedBy) -> Change | None:
    """`team` and `assignee`, or only the one given (an agent's `#assign` of a person
    leaves the team as it is)."""
    old = ticket.assignee
    fields = {name: params[name] for name in ("team", "assignee") if name in params}
    changed = _change(ticket, "assignee.changed", by, **fields)
    return Change("assignee.changed", old, ticket.assignee) if changed else None


def _set_request_type(ticket: Ticket, params: Mapping[str, Any], by: ChangedBy) -> None:
    _change(ticket, "request_type.changed", by, request_type=params["request_type"])


def _tags(add: bool) -> Applier:
    def apply(ticket: Ticket, params: Mapping[str, Any], by: ChangedBy) -> None:
        tags, given = set(ticket.tags or ()), set(params["tags"])
        _change(ticket, "tags.changed", by, tags=sorted(tags | given if add else tags - given))

    return apply


def _sla(paused: bool) -> Applier:
    def apply(ticket: Ticket, params: Mapping[str, Any], by: ChangedBy) -> None:
        _change(ticket, "sla.paused" if paused else "sla.resumed", by, sla_paused=paused)

    return apply


def _set_customer_language(ticket: Ticket, params: Mapping[str, Any], by: ChangedBy) -> None:
    service.set_customer_language(ticket, params["requester_language"], actor=by.actor,
                                  now=by.now, rule=by.rule, work=by.work)


def _add_note(ticket: Ticket, params: Mapping[str, Any], by: ChangedBy) -> None:
    author = f"rule:{by.rule}" if by.rule else by.actor
    service.add_note(ticket, params["text"], author=author, now=by.now, rule=by.rule,
                     work=by.work)


def _link(ticket: Ticket, params: Mapping[str, Any], by: ChangedBy) -> None:
    service.link_tickets(ticket, params["ticket"], params["kind"], actor=by.actor, now=by.now,
                         work=by.work)


def _merge(ticket: Ticket, params: Mapping[str, Any], by: ChangedBy) -> None:
    """The thread moves into ticket `into` (followed to where it was merged itself); this
    ticket is closed as a pointer. Its status change is recorded but is no change the
    rules hear of: the conversation goes on in `into`, so its customer must not be told
    that their ticket was closed (the outcome rule), nor linked tickets closed with it."""
    into = ticket_lookups.ticket(ticket_lookups.merged_target(params["into"]))
    if into.id == ticket.id:  # the other ticket was merged into this one: nothing to move
        return
    service.merge_tickets(ticket, into, closed_status=params["status"], actor=by.actor,
                          now=by.now, rule=by.rule, work=by.work)


def _change(ticket: Ticket, event: str, by: ChangedBy, **fields: Any) -> bool:
    return service.change_ticket(ticket, event, actor=by.actor, now=by.now, rule=by.rule,
                                 work=by.work, **fields)


#: The registered actions that change a ticket, each with its one applier.
APPLIERS: dict[str, Applier] = {
    "set_status": _set_status,
    "set_priority": _set_priority,
    "set_request_type": _set_request_type,
    "assign": _assign,
    "add_tag": _tags(add=True),
    "remove_tag": _tags(add=False),
    "pause_sla": _sla(paused=True),
    "resume_sla": _sla(paused=False),
    "set_customer_language": _set_customer_language,
    "add_note": _add_note,
    "link": _link,
    "merge": _merge,
}


def apply_effect(ticket: Ticket, effect: Effect, by: ChangedBy) -> Change | None:
    """Apply one ticket change; the change rules listen to, when it made one."""
    return APPLIERS[effect.action](ticket, effect.params, by)
