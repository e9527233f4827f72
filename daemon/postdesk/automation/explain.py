"""Say, rule by rule, why each one fired for an event or why it did not.

`postdesk rules explain ID` replays a ticket's events through `explain`. The
replay runs the real engine (chains included), so the answer is exactly what
`run_rules` would do with the same facts:

    rule customer-replied-resumes-work (rules/automation.yaml:12) on message.received: matched
    rule close-after-7-days (rules/automation.yaml:40) on schedule: not matched:
        time in status is 2d 3h, rule wants more than 7d

The rules that do not listen to the event at all are marked (`listens`), and
`not_listening` sums them up in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from postdesk.automation.engine import run_traced
from postdesk.automation.model import EventFacts, RuleContext, RunResult, TicketFacts
from postdesk.automation.ruleset import Rule, RuleSet


@dataclass(frozen=True)
class RuleExplanation:
    """One rule considered for one event: fired or not, and the reason in words."""

    rule: str
    where: str  # file:line of the rule
    event: str  # the event kind it was considered for
    depth: int  # 0: the event asked about; n: n steps down a chain
    matched: bool
    reason: str = ""  # for a non-match: the first condition that failed
    listens: bool = True  # False: the rule does not listen to this event at all

    def __str__(self) -> str:
        verdict = "matched" if self.matched else f"not matched: {self.reason}"
        chain = f" (chain depth {self.depth})" if self.depth else ""
        return f"rule {self.rule} ({self.where}) on {self.event}{chain}: {verdict}"


def explain(rules: RuleSet, event: EventFacts, ticket: TicketFacts, now: datetime,
            context: RuleContext | None = None) -> list[RuleExplanation]:
    """Every rule for the event (file order), then the rules of each derived event."""
    return explain_run(rules, event, ticket, now, context)[0]


def explain_run(rules: RuleSet, event: EventFacts, ticket: TicketFacts, now: datetime,
                context: RuleContext | None = None,
                ) -> tuple[list[RuleExplanation], RunResult]:
    """`explain` plus the RunResult of the same run (what would be done)."""
    found: list[RuleExplanation] = []
    listening = {rule.name for rule in rules.for_event(event.kind)}

    def trace(rule: Rule, current: EventFacts, depth: int, fired: bool,
              reason: str | None) -> None:
        found.append(RuleExplanation(rule.name, rule.where, current.kind, depth, fired,
                                     reason or ""))

    result = run_traced(rules, event, ticket, now=now, context=context or RuleContext(),
                        trace=trace)
    first_round = [e for e in found if e.depth == 0]
    later = [e for e in found if e.depth > 0]
    order = {rule.name: i for i, rule in enumerate(rules.rules)}
    for rule in rules.rules:
        if rule.name not in listening:
            kinds = ", ".join(sorted(rule.events))
            first_round.append(RuleExplanation(rule.name, rule.where, event.kind, 0, False,
                                               f"listens to {kinds}", listens=False))
    first_round.sort(key=lambda e: order[e.rule])
    return first_round + later, result


def not_listening(explanations: list[RuleExplanation]) -> str:
    """The rules that do not listen to the event, in one line a person reads instead of one
    line each: `9 rules listen to other events: status.changed (3), schedule (2), ...`
    ('' when every rule listens)."""
    idle = [e for e in explanations if not e.listens]
    if not idle:
        return ""
    kinds: dict[str, int] = {}
    for explanation in idle:
        for kind in explanation.reason.removeprefix("listens to ").split(", "):
            kinds[kind] = kinds.get(kind, 0) + 1
    listed = ", ".join(f"{kind} ({count})" if count > 1 else kind
                       for kind, count in sorted(kinds.items(), key=lambda i: (-i[1], i[0])))
    subject = "1 rule listens" if len(idle) == 1 else f"{len(idle)} rules listen"
    return f"{subject} to other events: {listed}"
