"""Service levels: business calendars, policies from rules/sla.yaml, clocks, simulation.

The pure core (no database, no clock reads; `now` is passed in):

* `load_sla(path, vocabulary)` -> `SlaConfig`, or RuleError `rules/sla.yaml:LINE: ...`
* `select_policy(config, ticket_facts)` -> the first matching `Policy` (else the default)
* `compute_clocks(config, policy, events, now)` -> `{name: ClockState}`
* `next_threshold(clocks, after)` -> the next warning/breach moment (the scanned column)
* `crossed(clocks, after, until)` -> the warnings and breaches a scan must fire
* `simulate(path_or_text, config)` -> the JSON of `postdesk sla simulate`

The file format is documented in `calendar` (calendars), `policy` (policies,
OLA), `durations` (targets and warning thresholds) and `clock` (what each
clock measures); `simulate` documents the simulation file.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from postdesk.sla.calendar import Calendar, business_hours_test
    from postdesk.sla.clock import (
        EVENT_TYPES,
        ClockState,
        SlaEvent,
        compute_clocks,
        current_policy_name,
        current_priority,
    )
    from postdesk.sla.loader import load_sla, parse_sla
    from postdesk.sla.policy import Ola, Policy, SlaConfig, select_policy
    from postdesk.sla.schedule import Crossing, crossed, next_threshold, thresholds
    from postdesk.sla.simulate import clock_json, simulate

#: name -> the module that defines it. Imported on first use (PEP 562), so that a
#: reader of one module (the live clocks of `postdesk tickets`) does not load the
#: policy engine, the YAML loader and the holiday tables with the package.
_HOMES = {
    "Calendar": "calendar", "business_hours_test": "calendar",
    "EVENT_TYPES": "clock", "ClockState": "clock", "SlaEvent": "clock",
    "compute_clocks": "clock", "current_policy_name": "clock", "current_priority": "clock",
    "load_sla": "loader", "parse_sla": "loader",
    "Ola": "policy", "Policy": "policy", "SlaConfig": "policy", "select_policy": "policy",
    "Crossing": "schedule", "crossed": "schedule", "next_threshold": "schedule",
    "thresholds": "schedule",
    "clock_json": "simulate", "simulate": "simulate",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


class _Package(ModuleType):
    """`simulate` is a function and the module defining it: when that module is first
    imported by its own name, Python sets it on the package; keep the function there."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and _HOMES.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "EVENT_TYPES",
    "Calendar",
    "ClockState",
    "Crossing",
    "Ola",
    "Policy",
    "SlaConfig",
    "SlaEvent",
    "business_hours_test",
    "clock_json",
    "compute_clocks",
    "crossed",
    "current_policy_name",
    "current_priority",
    "load_sla",
    "next_threshold",
    "parse_sla",
    "select_policy",
    "simulate",
    "thresholds",
]
