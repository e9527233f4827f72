"""Evaluate the rules for one event on one ticket; return what they decided.

Semantics (what an admin can rely on):

1. The rules listening to the event run in file order. Each sees the ticket
   as the rules before it left it: the actions of a matching rule are applied
   to the facts snapshot, in order, before the next rule is evaluated.
2. An action that sets a value the ticket already has (status already
   `in_progress`, tag already there, SLA already paused) changes nothing: it
   produces no effect (it is listed in `RunResult.unchanged`) and no event.
3. Each real change of status, priority or assignee produces a derived event
   (`status.changed`, `priority.changed`, `assignee.changed`) with `old`,
   `new`, author role `system` and `caused_by_rule`. Derived events are
   evaluated after every rule of the current event has run, breadth-first, in
   the order the changes happened.
4. Chains are bounded: the worker's event has depth 0, an event derived from
   it depth 1, and so on; events deeper than `context.max_depth` are not
   evaluated and are reported in `RunResult.skipped` with the reason.
5. A rule fires at most once per event kind within one run: a pair of rules
   flipping a status back and forth fires each once, then stops.
6. `stop: true` on a rule that fired: the rules after it skip that event
   (derived events are still evaluated).

`run_rules` is pure: it reads no clock (`now` is passed in), touches no
storage, and returns effects for the worker to apply in order: auditor effects
in the ticket's transaction, reactor effects (notify, reply) as outbox rows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime

from postdesk.automation.model import (
    Effect,
    EventFacts,
    RuleContext,
    RunResult,
    SkippedEvent,
    Subject,
    TicketFacts,
)
from postdesk.automation.registry import Workspace
from postdesk.automation.ruleset import Rule, RuleSet

# (rule, event, depth, fired, reason when it did not)
Tracer = Callable[[Rule, EventFacts, int, bool, str | None], None]
_WATCHED = (("status", "status.changed"), ("priority", "priority.changed"),
            ("assignee", "assignee.changed"))


def run_rules(rules: RuleSet, event: EventFacts, ticket: TicketFacts, *, now: datetime,
              context: RuleContext | None = None) -> RunResult:
    """Run `rules` for `event` on the `ticket` snapshot at `now` (aware UTC)."""
    return run_traced(rules, event, ticket, now=now, context=context or RuleContext())


def run_traced(rules: RuleSet, event: EventFacts, ticket: TicketFacts, *, now: datetime,
               context: RuleContext, trace: Tracer | None = None) -> RunResult:
    """`run_rules`, reporting each rule considered to `trace` (used by explain)."""
    work = Workspace(context, now, dict(context.last_assigned))
    queue: deque[tuple[EventFacts, int]] = deque([(event, 0)])
    done: dict[str, set[str]] = {}  # event kind -> rules that fired for it
    fired: list[tuple[str, str]] = []
    effects: list[Effect] = []
    unchanged: list[Effect] = []
    skipped: list[SkippedEvent] = []
    while queue:
        current, depth = queue.popleft()
        subject = Subject(current, ticket, now, context)
        done_here = done.setdefault(current.kind, set())
        stopped_by: str | None = None
        for rule in rules.for_event(current.kind):
            if stopped_by is not None or rule.name in done_here:
                if trace is not None:
                    trace(rule, current, depth, False,
                          f"skipped: rule '{stopped_by}' has stop: true" if stopped_by
                          else f"skipped: already fired for {current.kind} in this run")
                continue
            if not rule.condition.test(subject):
                if trace is not None:
                    trace(rule, current, depth, False, rule.condition.why_not(subject))
                continue
            done_here.add(rule.name)
            fired.append((rule.name, current.kind))
            if trace is not None:
                trace(rule, current, depth, True, None)
            for call in rule.actions:
                after, params = call.definition.apply(call.params, ticket, work)
                effect = Effect(call.definition.name, params if params is not None
                                else call.params, rule.name, call.definition.auditor,
                                current.kind, depth)
                if params is None:
                    unchanged.append(effect)
                    continue
                effects.append(effect)
                if after is not ticket:
                    _derive(rules, rule, ticket, after, depth + 1, context.max_depth,
                            queue, skipped)
                    ticket = subject.ticket = after
            if rule.stop:
                stopped_by = rule.name
    return RunResult(tuple(effects), tuple(fired), ticket, tuple(skipped), tuple(unchanged),
                     dict(work.last_assigned))


def _derive(rules: RuleSet, rule: Rule, before: TicketFacts, after: TicketFacts, depth: int,
            max_depth: int, queue: deque[tuple[EventFacts, int]],
            skipped: list[SkippedEvent]) -> None:
    """Queue a *.changed event for each watched field that really changed."""
    for field, kind in _WATCHED:
        old, new = getattr(before, field), getattr(after, field)
        if old == new:
            continue
        derived = EventFacts(kind, author_role="system", old=old, new=new,
                             caused_by_rule=rule.name)
        if depth <= max_depth:
            queue.append((derived, depth))
        elif rules.for_event(kind):
            skipped.append(SkippedEvent(derived, depth, (
                f"{kind} ({old} -> {new}) caused by rule '{rule.name}' is {depth} steps "
                f"down the chain; max_depth is {max_depth}, its rules did not run")))
