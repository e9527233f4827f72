"""A loaded, validated rule set: rules, their condition trees and bound actions.

Built by `loader.load_rules`; immutable, so a worker can keep using the set it
started a transaction with while a reload swaps in the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from postdesk.automation.model import Subject
from postdesk.automation.registry import ActionDef, ConditionDef


@dataclass(frozen=True)
class Check:
    """One registered condition with its bound parameters."""

    definition: ConditionDef
    params: Mapping[str, Any]
    where: str

    def test(self, s: Subject) -> bool:
        return self.definition.test(self.params, s)

    def predicate(self) -> Callable[[Subject], bool]:
        return partial(self.definition.test, self.params)

    def why_not(self, s: Subject) -> str | None:
        """None when the condition holds, else the facts and what the rule wants."""
        if self.test(s):
            return None
        actual, wanted = self.definition.describe(self.params, s)
        return f"{actual}, rule wants {wanted}"

    def state(self, s: Subject) -> str:
        actual, wanted = self.definition.describe(self.params, s)
        return f"{actual} ({self.definition.name}: {wanted})"


@dataclass(frozen=True)
class AllOf:
    """Every part must hold (the `if:` block itself, and each `any:` alternative)."""

    parts: tuple[Condition, ...]
    where: str = ""
    _predicates: tuple[Callable[[Subject], bool], ...] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The hot path calls the conditions' test functions directly (one frame each).
        object.__setattr__(self, "_predicates", tuple(p.predicate() for p in self.parts))

    def test(self, s: Subject) -> bool:
        # A plain loop: all() with a generator costs a third more on the hot path.
        for predicate in self._predicates:  # noqa: SIM110
            if not predicate(s):
                return False
        return True

    def predicate(self) -> Callable[[Subject], bool]:
        return self.test

    def why_not(self, s: Subject) -> str | None:
        for part in self.parts:
            reason = part.why_not(s)
            if reason is not None:
                return reason
        return None

    def state(self, s: Subject) -> str:
        return "; ".join(part.state(s) for part in self.parts) or "no conditions"


@dataclass(frozen=True)
class AnyOf:
    """At least one alternative must hold."""

    parts: tuple[Condition, ...]
    where: str = ""

    def test(self, s: Subject) -> bool:
        for part in self.parts:  # noqa: SIM110
            if part.test(s):
                return True
        return False

    def why_not(self, s: Subject) -> str | None:
        if self.test(s):
            return None
        return "none of the `any:` alternatives holds: " + " | ".join(
            part.why_not(s) or "" for part in self.parts)

    def state(self, s: Subject) -> str:
        return next((part.state(s) for part in self.parts if part.test(s)), "nothing")

    def predicate(self) -> Callable[[Subject], bool]:
        return self.test


@dataclass(frozen=True)
class NotOf:
    """The inner conditions must not all hold."""

    inner: Condition
    where: str = ""

    def test(self, s: Subject) -> bool:
        return not self.inner.test(s)

    def why_not(self, s: Subject) -> str | None:
        if self.test(s):
            return None
        return f"`not:` {self.inner.state(s)}, rule wants this not to hold"

    def state(self, s: Subject) -> str:
        return f"not ({self.inner.why_not(s)})"

    def predicate(self) -> Callable[[Subject], bool]:
        return self.test


Condition = Check | AllOf | AnyOf | NotOf


@dataclass(frozen=True)
class ActionCall:
    """One registered action with its bound parameters."""

    definition: ActionDef
    params: Mapping[str, Any]
    where: str


@dataclass(frozen=True)
class Rule:
    name: str
    events: frozenset[str]
    condition: AllOf
    actions: tuple[ActionCall, ...]
    stop: bool = False
    where: str = ""  # file:line of the rule
    description: str = ""
    enabled: bool = True

    @property
    def desk_level(self) -> bool:
        return bool(self.actions) and all(a.definition.desk_level for a in self.actions)


@dataclass(frozen=True)
class RuleSet:
    """Rules in file order, indexed by event kind."""

    rules: tuple[Rule, ...] = ()
    files: tuple[str, ...] = ()
    _by_event: Mapping[str, tuple[Rule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[Rule]] = {}
        for rule in self.rules:
            if rule.desk_level:
                continue  # run by its own scan, never offered a ticket
            for kind in rule.events:
                index.setdefault(kind, []).append(rule)
        object.__setattr__(self, "_by_event", {k: tuple(v) for k, v in index.items()})

    @property
    def assigns(self) -> bool:
        """Whether a rule may assign a ticket (the round-robin needs who had one last)."""
        return any(action.definition.name == "assign" for rule in self.rules
                   for action in rule.actions)

    def for_event(self, kind: str) -> tuple[Rule, ...]:
        """The rules listening to `kind`, in file order."""
        return self._by_event.get(kind, ())

    @property
    def desk_rules(self) -> tuple[Rule, ...]:
        """Schedule rules whose actions are about the desk (queue digests), in file order."""
        return tuple(rule for rule in self.rules if rule.desk_level)

    def get(self, name: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.name == name), None)
