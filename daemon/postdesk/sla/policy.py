"""SLA policies as loaded from `rules/sla.yaml`, and how a ticket gets its policy.

    policies:
      - name: urgent
        if: {priority: [urgent]}      # the condition language of rules/automation.yaml
        calendar: always
        targets: {first_response: 30m, resolution: 4h}
      - name: standard                # no `if:`: catches every other ticket
        calendar: office
        pause_on: [waiting_for_customer, waiting_for_vendor]
        resolve_on: [resolved, closed]             # the default
        targets: {first_response: 4h, next_response: 8h, resolution: 16h}
        priority_targets: {high: {resolution: 8h}} # optional overrides per priority
        warn: ["75%", "90%", "30m before"]
    default: standard                 # optional when a policy has no `if:`
    ola:
      - {team: hardware, calendar: office, target: 8h, warn: ["75%"]}

Policies are tried in file order and the first whose `if:` holds wins. The
`if:` may use the ticket conditions of the automation rules (status, priority,
request_type, team, assignee, tags, customer_language, has_link, sla_paused)
and `sender` / `sender_domain`, which here look at the requester's address
(the customer's domain). A policy without `if:` matches every ticket and must
be the last one; otherwise `default:` names the policy for unmatched tickets.
Conditions about a message or about time are refused: a policy must not
change from one mail to the next by accident.

Targets are business time of the policy's calendar (`30m`, `4h`, `1h30m`);
a target left out means that clock is not kept. `priority_targets` replace
single targets for tickets whose current priority is listed. An OLA entry
keeps a separate clock `ola:<team>` for the time the ticket spends with that
team, in its own calendar; it pauses on its own `pause_on` if given, else on
the policy's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from postdesk.automation.model import EventFacts, RuleContext, Subject, TicketFacts
from postdesk.automation.ruleset import AllOf
from postdesk.sla.calendar import Calendar
from postdesk.sla.durations import Threshold
from postdesk.sla.notify_hours import NotifyHours

CLOCK_NAMES = ("first_response", "next_response", "resolution")
RESOLVED_STATUSES = frozenset({"resolved", "closed"})


@dataclass(frozen=True)
class Policy:
    name: str
    calendar: Calendar
    targets: Mapping[str, int]  # clock name -> business seconds
    condition: AllOf | None = None  # None: every ticket
    priority_targets: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    pause_on: frozenset[str] = frozenset()
    resolve_on: frozenset[str] = RESOLVED_STATUSES
    warn: tuple[Threshold, ...] = ()
    where: str = ""

    def targets_for(self, priority: str | None) -> Mapping[str, int]:
        """The targets that apply to a ticket of `priority` (overrides merged in)."""
        override = self.priority_targets.get(priority or "")
        return {**self.targets, **override} if override else self.targets


@dataclass(frozen=True)
class Ola:
    team: str
    calendar: Calendar
    target_s: int
    warn: tuple[Threshold, ...] = ()
    pause_on: frozenset[str] | None = None  # None: the policy's pause_on
    where: str = ""


@dataclass(frozen=True)
class SlaConfig:
    calendars: Mapping[str, Calendar]
    policies: tuple[Policy, ...]
    default: Policy
    olas: Mapping[str, Ola] = field(default_factory=dict)  # team -> OLA
    statuses: frozenset[str] = frozenset()  # the vocabulary the file was checked against
    priorities: frozenset[str] = frozenset()
    display: str = "rules/sla.yaml"
    notify_hours: NotifyHours = field(default_factory=NotifyHours)  # when held mail may go

    def policy(self, name: str) -> Policy | None:
        return next((p for p in self.policies if p.name == name), None)


def _subject(ticket: TicketFacts, now: datetime) -> Subject:
    # The requester stands in as the event's author, so sender/sender_domain
    # select by the customer's address.
    event = EventFacts("ticket.created", author_role="customer",
                       author_email=ticket.requester_email)
    return Subject(event, ticket, now, RuleContext())


def select_policy(config: SlaConfig, ticket: TicketFacts) -> Policy:
    """The first policy whose `if:` holds for `ticket`, else the default policy."""
    subject = _subject(ticket, ticket.created_at)
    for policy in config.policies:
        if policy.condition is None or policy.condition.test(subject):
            return policy
    return config.default
