"""A ticket's SLA clocks, derived from its event history, a policy and `now`.

The worker records `SlaEvent`s; `compute_clocks` replays them, so the same
events, policy and `now` always give the same clocks, and a changed policy is
applied to an open ticket by recomputing (`postdesk sla recompute`).

What each clock measures (business seconds of its calendar):

* first_response: from `created` to the first `agent_reply`.
* next_response: from a `customer_reply` that follows an agent reply to the
  next `agent_reply`; each such customer reply starts a new cycle (`cycle`
  counts them). Further customer replies do not restart a running cycle.
* resolution: from `created` until the status becomes one of the policy's
  `resolve_on` (resolved, closed). Leaving that status (a reopened ticket)
  resumes the same clock with its elapsed time kept.
* ola:<team>: from an `assign` to a team with an OLA until that team acts:
  the first `agent_reply` while the ticket is with it, a `resolve_on` status,
  or an assignment to another team (handing over is acting). Assigning the
  team again starts a new cycle.

A clock is held (not counting) while the ticket's status is in `pause_on`;
the response clocks are also held while the ticket is resolved, so a ticket
closed without a reply never breaches. Held periods appear in `paused`.

Not applicable, and so left out of the result (neither met, breached nor
open in a report; `ticket show` does not list it): a response clock still
waiting for its reply while the ticket is resolved (closed without a reply: a
spam mail, a "thanks, solved" the agent closed), and an OLA whose team never
had the ticket (assigned and resolved in the same mail: the team had no time
to act, so it neither met nor missed its target). A response clock that had
already breached stays breached. Reopening the ticket brings the response
clock back with its elapsed time.

Targets follow the ticket's priority at `now` (`priority_targets`), and the
whole history is measured with the policy passed in: after a priority or
policy change, the new targets apply from the start (as if they always had).
`policy` events are kept for the record and do not change the arithmetic.

States: `breached` once the elapsed time reached the target while the clock
was not yet met (it stays breached, even when met later); else `met`,
`paused` or `running`. A clock met exactly at its due moment is met.
`due` is the moment the target is (running) or was (breached) reached; None
when met or paused. `remaining_s` is target minus elapsed: negative means
overdue by that much. A clock that never started (no customer reply after an
agent reply yet) is left out of the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from postdesk.sla.calendar import Calendar, from_epoch, to_epoch
from postdesk.sla.durations import Threshold
from postdesk.sla.policy import Policy, SlaConfig

EVENT_TYPES = ("created", "status", "agent_reply", "customer_reply", "priority", "assign",
               "policy")
BREACH = "breach"
RESPONSE_CLOCKS = ("first_response", "next_response")
Period = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class SlaEvent:
    """One fact the worker records for the SLA, in the order it happened."""

    at: datetime  # aware
    type: str  # one of EVENT_TYPES
    to: str | None = None  # new status / priority / team (None: unassigned) / policy name
    priority: str | None = None  # on created


@dataclass(frozen=True)
class ClockState:
    """One clock as of `as_of`; times are aware, in the clock's calendar zone."""

    name: str  # first_response | next_response | resolution | ola:<team>
    state: str  # running | paused | met | breached
    due: datetime | None
    elapsed_s: int
    remaining_s: int  # target - elapsed; negative when overdue
    paused: tuple[Period, ...]
    warnings_due: tuple[tuple[str, datetime], ...]  # (label, moment), past and future, by time
    target_s: int = 0
    cycle: int = 1
    started_at: datetime | None = None
    met_at: datetime | None = None
    breached_at: datetime | None = None
    as_of: datetime | None = None  # the `now` it was computed for


class _Clock:
    """Mutable replay state of one clock (internal to compute_clocks)."""

    def __init__(self, name: str, calendar: Calendar, target: int,
                 warn: Sequence[Threshold], holds: frozenset[str]) -> None:
        self.name, self.calendar, self.target, self.holds = name, calendar, target, holds
        marks = [(t.label, t.elapsed_at(target)) for t in warn]
        self.marks = [(label, at) for label, at in marks if at is not None]
        self.marks.append((BREACH, target))
        self.cycle = 0
        self.started: int | None = None
        self.active = False
        self.held = False
        self.void = False  # this cycle ended the moment it started: not applicable
        self._reset()

    def _reset(self) -> None:
        self.elapsed = 0
        self.last = 0
        self.met_at: int | None = None
        self.reached: dict[str, int] = {}
        self.paused: list[list[int | None]] = []

    def start(self, at: int, status: str | None, *, new_cycle: bool = True) -> None:
        if new_cycle:
            self._reset()
            self.cycle += 1
            self.started = at
        self.active, self.last, self.met_at, self.void = True, at, None, False
        self.hold(at, status)

    def finish(self, at: int) -> None:
        self.met_at = at
        self.active = False
        self.hold(at, None)

    def advance(self, until: int) -> None:
        if self.active and not self.held and until > self.last:
            gained = self.calendar.business_seconds(self.last, until)
            if gained:
                for label, at in self.marks:
                    if label not in self.reached and self.elapsed < at <= self.elapsed + gained:
                        self.reached[label] = self.calendar.add_business_seconds(
                            self.last, at - self.elapsed)
                self.elapsed += gained
        self.last = until

    def hold(self, at: int, status: str | None) -> None:
        held = self.active and status in self.holds
        if held and not self.held:
            self.paused.append([at, None])
        elif self.held and not held:
            self.paused[-1][1] = at
        self.held = held

    def unanswered(self) -> bool:
        """Still waiting (not met) and not breached: nothing to judge yet."""
        return self.active and BREACH not in self.reached

    def state(self, now: int, as_of: datetime) -> ClockState:
        zone: ZoneInfo = self.calendar.zone
        breach = self.reached.get(BREACH)
        if breach is not None and (self.met_at is None or breach < self.met_at):
            state, due = "breached", breach
        elif not self.active:
            state, due = "met", None
        elif self.held:
            state, due = "paused", None
        else:
            state, due = "running", self.calendar.add_business_seconds(
                now, self.target - self.elapsed)
        warnings = dict(self.reached)
        if self.active and not self.held:
            for label, at in self.marks:
                if label not in warnings and at > self.elapsed:
                    warnings[label] = self.calendar.add_business_seconds(now, at - self.elapsed)
        warnings.pop(BREACH, None)

        def moment(t: int | None) -> datetime | None:
            return None if t is None else from_epoch(t, zone)

        return ClockState(
            name=self.name, state=state, due=moment(due), elapsed_s=self.elapsed,
            remaining_s=self.target - self.elapsed,
            paused=tuple((from_epoch(s or 0, zone), moment(e)) for s, e in self.paused),
            warnings_due=tuple((label, from_epoch(t, zone)) for label, t in
                               sorted(warnings.items(), key=lambda item: item[1])),
            target_s=self.target, cycle=self.cycle, started_at=moment(self.started),
            met_at=moment(self.met_at), breached_at=moment(breach), as_of=as_of)


def current_priority(events: Iterable[SlaEvent]) -> str | None:
    """The priority after the last `created`/`priority` event."""
    found = None
    for event in events:
        if event.type == "created" and event.priority is not None:
            found = event.priority
        elif event.type == "priority":
            found = event.to
    return found


def current_policy_name(events: Iterable[SlaEvent]) -> str | None:
    """The policy named by the last `policy` event (None: never changed)."""
    return next((e.to for e in reversed(list(events)) if e.type == "policy"), None)


def compute_clocks(config: SlaConfig, policy: Policy, events: Sequence[SlaEvent],
                   now: datetime) -> dict[str, ClockState]:
    """The clocks of one ticket at `now`; events after `now` are ignored."""
    end = to_epoch(now)
    stamped = [(to_epoch(e.at), e) for e in events]
    # Stable on the instant alone: events of the same second keep their recorded order.
    timeline = sorted((item for item in stamped if item[0] <= end), key=lambda item: item[0])
    targets = policy.targets_for(current_priority(e for _, e in timeline))
    response_holds = policy.pause_on | policy.resolve_on
    clocks: dict[str, _Clock] = {}
    for name in ("first_response", "next_response", "resolution"):
        if name in targets:
            holds = policy.pause_on if name == "resolution" else response_holds
            clocks[name] = _Clock(name, policy.calendar, targets[name], policy.warn, holds)
    status: str | None = None
    team: str | None = None
    created = answered = False
    for at, event in timeline:
        for clock in clocks.values():
            clock.advance(at)
        if event.type == "created":
            if created:
                continue
            created = True
            for name in ("first_response", "resolution"):
                if name in clocks:
                    clocks[name].start(at, status)
        elif not created:
            if event.type == "status":
                status = event.to
            elif event.type == "assign":
                team = event.to
            continue
        elif event.type == "status":
            status = event.to
            _status_changed(clocks, at, status, policy.resolve_on)
        elif event.type == "agent_reply":
            answered = True
            for name, clock in clocks.items():
                if name != "resolution" and clock.active:
                    clock.finish(at)
        elif event.type == "customer_reply":
            nr = clocks.get("next_response")
            if answered and nr is not None and not nr.active:
                nr.start(at, status)
        elif event.type == "assign" and event.to != team:
            old = clocks.get(f"ola:{team}")
            if old is not None and old.active:
                old.finish(at)
            team = event.to
            ola = config.olas.get(team or "")
            if ola is not None:
                key = f"ola:{ola.team}"
                if key not in clocks:
                    holds = ola.pause_on if ola.pause_on is not None else policy.pause_on
                    clocks[key] = _Clock(key, ola.calendar, ola.target_s, ola.warn, holds)
                clocks[key].start(at, status)
        for clock in clocks.values():
            clock.hold(at, status)
    for clock in clocks.values():
        clock.advance(end)
    closed = status in policy.resolve_on
    return {name: clock.state(end, now) for name, clock in clocks.items()
            if clock.cycle and not clock.void
            and not (closed and name in RESPONSE_CLOCKS and clock.unanswered())}


def _status_changed(clocks: Mapping[str, _Clock], at: int, status: str | None,
                    resolve_on: frozenset[str]) -> None:
    done = status in resolve_on
    resolution = clocks.get("resolution")
    if resolution is not None:
        if done and resolution.active:
            resolution.finish(at)
        elif not done and not resolution.active and resolution.met_at is not None:
            resolution.start(at, status, new_cycle=False)  # reopened: elapsed kept
    if done:
        for name, clock in clocks.items():
            if name.startswith("ola:") and clock.active:
                clock.void = clock.started == at and clock.elapsed == 0
                clock.finish(at)
