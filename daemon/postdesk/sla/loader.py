"""`rules/sla.yaml` -> a validated SlaConfig, or RuleError `rules/sla.yaml:LINE: ...`.

The file has three sections: `calendars` (see `postdesk.sla.calendar`),
`policies` and `ola` (see `postdesk.sla.policy`), plus an optional
`default: <policy name>` and `notify_hours` (see `postdesk.sla.notify_hours`).
Every name, time, duration and status is checked when the file is loaded;
the first problem is reported with its line and a hint, and the caller keeps
its last good configuration.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date
from pathlib import Path

from postdesk.automation.loader import parse_conditions
from postdesk.automation.model import Vocabulary
from postdesk.automation.ruleset import Check, Condition, NotOf
from postdesk.config.rulesfile import (
    Node,
    YamlDocument,
    describe_value,
    load_yaml,
    parse_yaml,
    suggest,
)
from postdesk.errors import RuleError
from postdesk.sla.calendar import (
    ALL_WEEK,
    DAY_NAMES,
    FULL_DAY,
    Calendar,
    Interval,
    check_country,
    week_of,
)
from postdesk.sla.durations import DurationError, Threshold, parse_duration, parse_threshold
from postdesk.sla.notify_hours import parse_notify_hours
from postdesk.sla.policy import CLOCK_NAMES, RESOLVED_STATUSES, Ola, Policy, SlaConfig

_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# Conditions that describe the ticket (not a message, not the clock) may select a policy.
POLICY_CONDITIONS = frozenset({
    "status", "priority", "request_type", "team", "assignee", "tags", "customer_language",
    "has_link", "sla_paused", "sender", "sender_domain",
})


def load_sla(path: Path, vocabulary: Vocabulary | None = None, *,
             display: str = "rules/sla.yaml") -> SlaConfig:
    """Read and validate one sla.yaml; errors read `rules/sla.yaml:LINE: ...`."""
    return build_sla(load_yaml(path, display=display), vocabulary or Vocabulary())


def parse_sla(text: str, display: str = "rules/sla.yaml",
              vocabulary: Vocabulary | None = None) -> SlaConfig:
    """sla.yaml text -> SlaConfig (tests, `postdesk check`)."""
    return build_sla(parse_yaml(text, display), vocabulary or Vocabulary())


def build_sla(doc: YamlDocument, vocabulary: Vocabulary) -> SlaConfig:
    root = doc.root()
    if root.value is None:
        raise root.error("the SLA file is empty; it needs 'calendars' and 'policies'")
    root.check_keys(("calendars", "policies", "default", "ola", "notify_hours"),
                    required=("calendars", "policies"))
    fields = root.as_mapping()
    calendars = {name: _calendar(name, node)
                 for name, node in fields["calendars"].as_mapping("a mapping of calendars").items()}
    if not calendars:
        raise fields["calendars"].error("define at least one calendar")
    policies: list[Policy] = []
    catch_all: Policy | None = None
    for item in fields["policies"].as_list("a list of policies"):
        policy = _policy(item, calendars, vocabulary)
        if any(p.name == policy.name for p in policies):
            raise item.error(f"policy name '{policy.name}' is used twice")
        if catch_all is not None:
            raise item.error(f"policy '{policy.name}' is never used: policy "
                             f"'{catch_all.name}' before it has no `if:` and takes every "
                             f"ticket; move that one to the end")
        if policy.condition is None:
            catch_all = policy
        policies.append(policy)
    if not policies:
        raise fields["policies"].error("define at least one policy")
    default = _default(fields.get("default"), policies, catch_all, fields["policies"])
    olas: dict[str, Ola] = {}
    if "ola" in fields and fields["ola"].value is not None:
        for item in fields["ola"].as_list("a list of OLA entries"):
            ola = _ola(item, calendars, vocabulary)
            if ola.team in olas:
                raise item.error(f"team '{ola.team}' already has an OLA at {olas[ola.team].where}")
            olas[ola.team] = ola
    hours = parse_notify_hours(fields.get("notify_hours"),
                               lambda node: _calendar_ref(node, calendars))
    return SlaConfig(calendars, tuple(policies), default, olas, vocabulary.statuses,
                     vocabulary.priorities, doc.display, hours)


def _default(node: Node | None, policies: list[Policy], catch_all: Policy | None,
             policies_node: Node) -> Policy:
    if node is None:
        if catch_all is None:
            raise policies_node.error("no policy catches every ticket: leave `if:` out of "
                                      "the last policy, or name one with `default: NAME`")
        return catch_all
    name = node.as_str("a policy name")
    found = next((p for p in policies if p.name == name), None)
    if found is None:
        names = [p.name for p in policies]
        raise node.error(f"unknown policy '{name}'{suggest(name, names)}; "
                         f"defined: {', '.join(names)}")
    return found


# --- calendars ------------------------------------------------------------------------

def _calendar(name: str, node: Node) -> Calendar:
    node.check_keys(("timezone", "hours", "holidays"), required=("timezone", "hours"))
    fields = node.as_mapping("a calendar (timezone, hours, holidays)")
    zone = _zone(fields["timezone"])
    hours = fields["hours"]
    week = ALL_WEEK if hours.value == "24/7" else _week(hours)
    if not any(week):
        raise hours.error(f"calendar '{name}' has no business hours; give some, or \"24/7\"")
    dates: set[date] = set()
    country = subdiv = None
    if "holidays" in fields and fields["holidays"].value is not None:
        holidays = fields["holidays"]
        holidays.check_keys(("country", "subdiv", "dates"))
        parts = holidays.as_mapping("a mapping with country and/or dates")
        if "country" in parts:
            country = parts["country"].as_str("a country code like PL").upper()
            subdiv = parts["subdiv"].as_str("a subdivision code").upper() if (
                "subdiv" in parts) else None
            try:
                check_country(country, subdiv)
            except ValueError as error:
                raise parts["country" if subdiv is None else "subdiv"].error(str(error)) from None
        elif "subdiv" in parts:
            raise parts["subdiv"].error("'subdiv' needs 'country'")
        if "dates" in parts:
            dates = {_date(item) for item in parts["dates"].as_list("a list of dates")}
    return Calendar(name, zone, week, frozenset(dates), country, subdiv, node.where)


def _zone(node: Node) -> zoneinfo.ZoneInfo:
    name = node.as_str("an IANA time zone like Europe/Warsaw")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = suggest(name, zoneinfo.available_timezones())
        raise node.error(f"unknown time zone '{name}'{hint}; use an IANA name like "
                         f"Europe/Warsaw or America/New_York") from None


def _week(node: Node) -> tuple[tuple[Interval, ...], ...]:
    if isinstance(node.value, str):
        raise node.error(f"hours must be \"24/7\" or a mapping of days, not "
                         f"{describe_value(node.value)}")
    days: dict[int, list[Interval]] = {}
    given_by: dict[int, str] = {}
    for key, child in node.as_mapping("a mapping of days to intervals").items():
        for day in _days(key, child):
            if day in given_by:
                raise child.error(f"{DAY_NAMES[day]} already has hours from '{given_by[day]}'")
            given_by[day] = key
            days[day] = _intervals(child, DAY_NAMES[day])
    return week_of(days)


def _days(key: str, node: Node) -> list[int]:
    first, _, last = key.strip().lower().partition("-")
    if first not in DAY_NAMES or (last and last not in DAY_NAMES):
        raise node.error(f"unknown day '{key}'{suggest(key, DAY_NAMES)}; use mon, tue, wed, "
                         f"thu, fri, sat, sun or a range like mon-fri")
    start = DAY_NAMES.index(first)
    end = DAY_NAMES.index(last) if last else start
    if end < start:
        raise node.error(f"day range '{key}' runs backwards; write it like mon-fri")
    return list(range(start, end + 1))


def _intervals(node: Node, day: str) -> list[Interval]:
    if node.value is None or node.value == "closed":
        return []
    found: list[tuple[Interval, str]] = []
    for item in node.as_list("a list of intervals like \"08:00-16:00\"", allow_single=True):
        written = item.as_str("an interval like \"08:00-16:00\"")
        interval = _interval(written, item)
        for other, other_text in found:
            if interval[0] < other[1] and other[0] < interval[1]:
                raise item.error(f"'{written}' overlaps '{other_text}' on {day}; "
                                 f"give each time once")
        found.append((interval, written))
    return [interval for interval, _ in found]


def _interval(written: str, node: Node) -> Interval:
    match = _INTERVAL.fullmatch(written.strip())
    if not match:
        raise node.error(f"'{written}' is not business hours; write an interval like "
                         f"\"08:00-16:00\"")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
    if m1 > 59 or m2 > 59 or start >= FULL_DAY or end > FULL_DAY:
        raise node.error(f"'{written}' is not a time of day; use 00:00 to 24:00")
    if end <= start:
        raise node.error(f"'{written}' ends before it starts; an interval cannot cross "
                         f"midnight, split it into two days")
    return start, end


def _date(node: Node) -> date:
    value = node.value
    if isinstance(value, date):
        return value
    written = node.as_str("a date like 2026-12-24")
    try:
        return date.fromisoformat(written.strip())
    except ValueError:
        raise node.error(f"'{written}' is not a date; write it like 2026-12-24") from None


# --- policies and OLA -----------------------------------------------------------------

def _policy(node: Node, calendars: dict[str, Calendar], vocabulary: Vocabulary) -> Policy:
    node.check_keys(("name", "description", "if", "calendar", "targets", "priority_targets",
                     "pause_on", "resolve_on", "warn"),
                    required=("name", "calendar", "targets"))
    fields = node.as_mapping("a policy (a mapping with name, calendar, targets)")
    name = fields["name"].as_str("a policy name")
    if not _NAME.fullmatch(name):
        raise fields["name"].error(f"policy name '{name}' may use letters, digits, _ . - only")
    condition = None
    if "if" in fields:
        condition = parse_conditions(fields["if"], vocabulary)
        _check_policy_conditions(condition)
    targets = _targets(fields["targets"])
    if not targets:
        raise fields["targets"].error("give at least one target")
    priority_targets = {}
    if "priority_targets" in fields:
        for key, child in fields["priority_targets"].as_mapping(
                "a mapping of priority: targets").items():
            if key not in vocabulary.priorities:
                raise child.error(f"unknown priority '{key}'{suggest(key, vocabulary.priorities)}"
                                  f"; known: {', '.join(sorted(vocabulary.priorities))}")
            priority_targets[key] = _targets(child)
    resolve_on = (_statuses(fields["resolve_on"], vocabulary) if "resolve_on" in fields
                  else RESOLVED_STATUSES)
    pause_on = _statuses(fields["pause_on"], vocabulary) if "pause_on" in fields else frozenset()
    both = pause_on & resolve_on
    if both:
        raise fields["pause_on"].error(f"status '{min(both)}' cannot both pause and resolve")
    return Policy(
        name=name, calendar=_calendar_ref(fields["calendar"], calendars), targets=targets,
        condition=condition, priority_targets=priority_targets, pause_on=pause_on,
        resolve_on=resolve_on, warn=_warn(fields.get("warn")), where=node.where)


def _check_policy_conditions(condition: Condition) -> None:
    if isinstance(condition, Check):
        if condition.definition.name not in POLICY_CONDITIONS:
            raise RuleError(
                f"{condition.where}: '{condition.definition.name}' cannot select an SLA "
                f"policy (it is about a message or the time); use "
                f"{', '.join(sorted(POLICY_CONDITIONS))}")
        return
    parts = (condition.inner,) if isinstance(condition, NotOf) else condition.parts
    for part in parts:
        _check_policy_conditions(part)


def _targets(node: Node) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, child in node.as_mapping("a mapping like {first_response: 4h}").items():
        if key not in CLOCK_NAMES:
            raise child.error(f"unknown target '{key}'{suggest(key, CLOCK_NAMES)}; "
                              f"known: {', '.join(CLOCK_NAMES)}")
        found[key] = _duration(child)
    return found


def _duration(node: Node) -> int:
    try:
        return parse_duration(node.as_str("a duration like 4h or 30m"))
    except DurationError as error:
        raise node.error(str(error)) from None


def _warn(node: Node | None) -> tuple[Threshold, ...]:
    if node is None or node.value is None:
        return ()
    found: list[Threshold] = []
    for item in node.as_list("a list of thresholds like \"75%\"", allow_single=True):
        try:
            threshold = parse_threshold(item.as_str("a threshold like \"75%\" or \"30m before\""))
        except DurationError as error:
            raise item.error(str(error)) from None
        if threshold in found:
            raise item.error(f"threshold '{threshold.label}' is given twice")
        found.append(threshold)
    return tuple(found)


def _statuses(node: Node, vocabulary: Vocabulary) -> frozenset[str]:
    found = set()
    for item in node.as_list("a list of statuses", allow_single=True):
        status = item.as_str("a status")
        if status not in vocabulary.statuses:
            raise item.error(f"unknown status '{status}'{suggest(status, vocabulary.statuses)}"
                             f"; known: {', '.join(sorted(vocabulary.statuses))}")
        found.add(status)
    return frozenset(found)


def _calendar_ref(node: Node, calendars: dict[str, Calendar]) -> Calendar:
    name = node.as_str("a calendar name")
    found = calendars.get(name)
    if found is None:
        raise node.error(f"unknown calendar '{name}'{suggest(name, calendars)}; "
                         f"defined: {', '.join(sorted(calendars))}")
    return found


def _ola(node: Node, calendars: dict[str, Calendar], vocabulary: Vocabulary) -> Ola:
    node.check_keys(("team", "calendar", "target", "warn", "pause_on"),
                    required=("team", "calendar", "target"))
    fields = node.as_mapping("an OLA entry (team, calendar, target)")
    team = fields["team"].as_str("a team name")
    if vocabulary.teams is not None and team not in vocabulary.teams:
        raise fields["team"].error(f"unknown team '{team}'{suggest(team, vocabulary.teams)}; "
                                   f"known: {', '.join(sorted(vocabulary.teams))}")
    pause_on = _statuses(fields["pause_on"], vocabulary) if "pause_on" in fields else None
    return Ola(team, _calendar_ref(fields["calendar"], calendars), _duration(fields["target"]),
               _warn(fields.get("warn")), pause_on, node.where)
