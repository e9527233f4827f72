"""Automations: admin-written YAML rules that react to ticket events.

The pure core (no database, no clock):

* `loader.load_rules(rules_dir, vocabulary)` -> `RuleSet`, or RuleError `file:line: ...`
* `engine.run_rules(rules, event, ticket, now=..., context=...)` -> `RunResult`
* `explain.explain(rules, event, ticket, now, context)` -> why each rule (did not) fire

The worker snapshots the ticket as `TicketFacts`, describes the event as
`EventFacts`, applies `RunResult.effects` in order (auditor effects in the
transaction, reactor effects as outbox rows) and stores `RunResult.last_assigned`.
"""

from postdesk.automation.engine import run_rules
from postdesk.automation.explain import RuleExplanation, explain
from postdesk.automation.loader import automation_files, load_rules, parse_rules
from postdesk.automation.model import (
    Effect,
    EventFacts,
    RuleContext,
    RunResult,
    SkippedEvent,
    TicketFacts,
    Vocabulary,
)
from postdesk.automation.ruleset import Rule, RuleSet

__all__ = [
    "Effect",
    "EventFacts",
    "Rule",
    "RuleContext",
    "RuleExplanation",
    "RuleSet",
    "RunResult",
    "SkippedEvent",
    "TicketFacts",
    "Vocabulary",
    "automation_files",
    "explain",
    "load_rules",
    "parse_rules",
    "run_rules",
]
