"""`postdesk sla simulate FILE`: check a policy against a made-up ticket history.

FILE is YAML (or JSON, which is YAML too):

    policy: standard                         # a policy of the desk's rules/sla.yaml
    now: "2026-03-30T12:00:00+02:00"         # the moment to evaluate, with its offset
    events:                                  # in time order, the first one `created`
      - {at: "2026-03-27T15:00:00+01:00", type: created, priority: normal}
      - {at: "2026-03-27T15:30:00+01:00", type: agent_reply}
      - {at: "2026-03-27T15:31:00+01:00", type: status, to: waiting_for_customer}
      - {at: "2026-03-30T09:10:00+02:00", type: customer_reply}
      - {at: "2026-03-30T09:11:00+02:00", type: status, to: in_progress}

Event types: created (priority), status (to), agent_reply, customer_reply,
priority (to), assign (to: a team, or none), policy (to: a policy name; kept
for the record). The result, as JSON:

    {"policy": "standard",
     "clocks": {"first_response": {"state": "met", "due": null, "elapsed_s": 1800,
                                   "remaining_s": 12600, "paused": []}, ...}}

Times are ISO 8601 in the calendar's zone; `due` is null while a clock is
paused or once it is met; elapsed and remaining are business seconds. A bad
file raises RuleError `FILE:LINE: ...`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from postdesk.config.rulesfile import Node, describe_value, load_yaml, parse_yaml, suggest
from postdesk.sla.clock import EVENT_TYPES, ClockState, SlaEvent, compute_clocks
from postdesk.sla.policy import SlaConfig

_NEEDS_TO = {"status": "a status", "priority": "a priority", "policy": "a policy name"}


def simulate(text_or_path: str | Path, config: SlaConfig, *,
             display: str | None = None) -> dict[str, Any]:
    """Evaluate the simulation file (a Path, or its text) -> the JSON-ready result."""
    if isinstance(text_or_path, Path):
        doc = load_yaml(text_or_path, display=display or str(text_or_path))
    else:
        doc = parse_yaml(text_or_path, display or "simulation")
    root = doc.root()
    if root.value is None:
        raise root.error("the file is empty; it needs policy, now and events")
    root.check_keys(("policy", "now", "events"), required=("policy", "now", "events"))
    fields = root.as_mapping()
    name = fields["policy"].as_str("a policy name")
    policy = config.policy(name)
    if policy is None:
        names = [p.name for p in config.policies]
        raise fields["policy"].error(f"unknown policy '{name}'{suggest(name, names)}; "
                                     f"{config.display} defines {', '.join(names)}")
    now = _moment(fields["now"])
    events = _events(fields["events"], config)
    clocks = compute_clocks(config, policy, events, now)
    return {"policy": policy.name,
            "clocks": {key: clock_json(clock) for key, clock in clocks.items()}}


def clock_json(clock: ClockState) -> dict[str, Any]:
    """One clock in the shape `sla simulate` prints (also for `ticket show --json`)."""
    return {
        "state": clock.state,
        "due": _iso(clock.due),
        "elapsed_s": clock.elapsed_s,
        "remaining_s": clock.remaining_s,
        "paused": [[_iso(start), _iso(end)] for start, end in clock.paused],
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _events(node: Node, config: SlaConfig) -> list[SlaEvent]:
    events: list[SlaEvent] = []
    previous: tuple[datetime, str] | None = None
    for item in node.as_list("a list of events"):
        event = _event(item, config)
        if not events and event.type != "created":
            raise item.error(f"the first event must be 'created', not '{event.type}'")
        if previous is not None and event.at < previous[0]:
            raise item.error(f"events must be in time order: {event.at.isoformat()} is "
                             f"before the previous event ({previous[1]})")
        previous = (event.at, item.where)
        events.append(event)
    if not events:
        raise node.error("give at least the 'created' event")
    return events


def _event(node: Node, config: SlaConfig) -> SlaEvent:
    node.check_keys(("at", "type", "to", "priority"), required=("at", "type"))
    fields = node.as_mapping("an event like {at: ..., type: created}")
    kind = fields["type"].as_str("an event type")
    if kind not in EVENT_TYPES:
        raise fields["type"].error(f"unknown event type '{kind}'{suggest(kind, EVENT_TYPES)}; "
                                   f"known: {', '.join(EVENT_TYPES)}")
    to: str | None = None
    if kind in _NEEDS_TO or kind == "assign":
        if "to" not in fields:
            what = _NEEDS_TO.get(kind, "a team or none")
            raise node.error(f"a '{kind}' event needs 'to': {what}")
        to = fields["to"].as_str()
        if kind == "assign" and to == "none":
            to = None
        _check_name(fields["to"], to, kind, config)
    elif "to" in fields:
        raise fields["to"].error(f"a '{kind}' event takes no 'to'")
    priority = None
    if "priority" in fields:
        if kind != "created":
            raise fields["priority"].error("'priority' belongs to the 'created' event; "
                                           "use {type: priority, to: ...} to change it")
        priority = fields["priority"].as_str("a priority")
        _check_name(fields["priority"], priority, "priority", config)
    return SlaEvent(_moment(fields["at"]), kind, to, priority)


def _check_name(node: Node, value: str | None, kind: str, config: SlaConfig) -> None:
    known = {"status": config.statuses, "priority": config.priorities,
             "policy": frozenset(p.name for p in config.policies)}.get(kind)
    if value is not None and known and value not in known:
        raise node.error(f"unknown {kind} '{value}'{suggest(value, known)}; "
                         f"known: {', '.join(sorted(known))}")


def _moment(node: Node) -> datetime:
    value = node.value
    if isinstance(value, datetime):  # unquoted in YAML: ruamel's datetime subclass
        moment = datetime(value.year, value.month, value.day, value.hour, value.minute,
                          value.second, value.microsecond, tzinfo=value.tzinfo)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise node.error(f"'{value}' is not a time; write it like "
                             f"\"2026-03-30T12:00:00+02:00\"") from None
    else:
        raise node.error(f"expected a time like \"2026-03-30T12:00:00+02:00\", not "
                         f"{describe_value(value)}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise node.error(f"'{moment.isoformat()}' has no UTC offset; add one, like +02:00 or Z")
    return moment
