"""Registries of named conditions and actions, each declaring typed parameters.

A rules file can only use names registered here; the loader checks every name
and parameter when the file is loaded, so a typo is reported as
`rules/automation.yaml:14: unknown action 'set_stauts' (did you mean
'set_status'?)` and never surfaces when the rule first fires. A registry
refuses a second definition under the same name.

In YAML a condition or action is written `name: value`. When it has a
*shorthand* parameter the value may be given directly (`set_status:
resolved`); otherwise, or to give more parameters, it is a mapping
(`notify: {template: x, to: [team]}`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar

from postdesk.automation.model import RuleContext, Subject, TicketFacts, Vocabulary
from postdesk.config.rulesfile import Node, suggest


@dataclass(frozen=True)
class ParamType:
    """How a parameter is written and checked: `parse` raises node.error on bad input."""

    description: str  # "a status", "a duration like 7d, 4h or 30m"
    parse: Callable[[Node, Vocabulary], Any]


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    required: bool = True
    default: Any = None
    doc: str = ""


class Definition(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def params(self) -> tuple[Param, ...]: ...
    @property
    def shorthand(self) -> str | None: ...


@dataclass(frozen=True)
class ConditionDef:
    """`test` says whether the condition holds; `describe` gives (facts, wanted) in words."""

    name: str
    params: tuple[Param, ...]
    test: Callable[[Mapping[str, Any], Subject], bool]
    describe: Callable[[Mapping[str, Any], Subject], tuple[str, str]]
    shorthand: str | None = None
    doc: str = ""
    check: Callable[[Mapping[str, Any], Node], None] | None = None  # cross-parameter check


@dataclass
class Workspace:
    """Mutable state of one run that actions share (round-robin position)."""

    context: RuleContext
    now: datetime
    last_assigned: dict[str, str] = field(default_factory=dict)


# (ticket after the action, effect parameters or None when nothing changed)
ActionOutcome = tuple[TicketFacts, Mapping[str, Any] | None]


@dataclass(frozen=True)
class ActionDef:
    """`apply` computes the effect on the facts snapshot; it never touches storage."""

    name: str
    params: tuple[Param, ...]
    auditor: bool
    apply: Callable[[Mapping[str, Any], TicketFacts, Workspace], ActionOutcome]
    shorthand: str | None = None
    doc: str = ""
    check: Callable[[Mapping[str, Any], Node], None] | None = None
    #: about the desk, not a ticket (send_queue_digest): only in `on: schedule` rules without
    #: `if:`, run once per scan by its own module instead of once per ticket
    desk_level: bool = False


D = TypeVar("D", ConditionDef, ActionDef)


class Registry(Generic[D]):
    """Name -> definition; refuses duplicates, suggests near names for unknown ones."""

    def __init__(self, what: str, reserved: tuple[str, ...] = ()) -> None:
        self.what = what
        self.reserved = reserved
        self._items: dict[str, D] = {}

    def register(self, definition: D) -> D:
        if definition.name in self._items or definition.name in self.reserved:
            raise ValueError(f"{self.what} '{definition.name}' is already registered")
        self._items[definition.name] = definition
        return definition

    def lookup(self, name: str, node: Node) -> D:
        found = self._items.get(name)
        if found is None:
            hint = suggest(name, [*self._items, *self.reserved])
            raise node.error(f"unknown {self.what} '{name}'{hint}")
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[D]:
        return iter(self._items.values())

    def names(self) -> list[str]:
        return sorted(self._items)


def bind(definition: ConditionDef | ActionDef, node: Node, vocabulary: Vocabulary,
         ) -> Mapping[str, Any]:
    """Check and normalise the parameters written under `definition.name` in `node`."""
    params = {p.name: p for p in definition.params}
    given: dict[str, Node]
    if isinstance(node.value, dict):
        given = node.as_mapping()
    elif node.value is None:
        given = {}
    elif definition.shorthand is not None:
        given = {definition.shorthand: node}
    else:
        names = ", ".join(params) or "no parameters"
        raise node.error(f"'{definition.name}' takes a mapping of parameters ({names}), "
                         f"not a single value")
    values: dict[str, Any] = {}
    for name, child in given.items():
        param = params.get(name)
        if param is None:
            raise child.error(f"'{definition.name}' has no parameter '{name}'"
                              f"{suggest(name, params)}; it takes: {', '.join(params) or '-'}")
        if child.value is None:
            raise child.error(f"'{definition.name}' parameter '{name}' needs a value: "
                              f"{param.type.description}")
        values[name] = param.type.parse(child, vocabulary)
    for param in definition.params:
        if param.name not in values:
            if param.required and param.name == definition.shorthand:
                raise node.error(f"'{definition.name}' needs a value: "
                                 f"{param.type.description}")
            if param.required:
                raise node.error(f"'{definition.name}' needs the parameter '{param.name}' "
                                 f"({param.type.description})")
            values[param.name] = param.default
    if definition.check is not None:
        definition.check(values, node)
    return MappingProxyType(values)
