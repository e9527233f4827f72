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
