"""The plain data the rules engine reads and returns (frozen dataclasses, no I/O).

The worker takes a `TicketFacts` snapshot inside its transaction, describes
what happened as an `EventFacts`, calls `engine.run_rules` and applies the
returned `Effect`s: auditor effects in the same transaction, reactor effects
as outbox rows. Nothing here reads the clock; `now` is always passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

EVENT_KINDS: tuple[str, ...] = (
    "ticket.created", "message.received", "status.changed", "priority.changed",
    "assignee.changed", "sla.warning", "sla.breached", "schedule", "satisfaction.rated",
)
AUTHOR_ROLES: tuple[str, ...] = ("customer", "agent", "participant", "system")
LINK_KINDS: tuple[str, ...] = ("duplicate_of", "duplicated_by", "possible_duplicate_of",
                               "possibly_duplicated_by", "related")
DEFAULT_STATUSES: tuple[str, ...] = (
    "new", "triage", "in_progress", "waiting_for_customer", "waiting_for_vendor",
    "resolved", "closed",
)
DEFAULT_PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")


@dataclass(frozen=True)
class TicketFacts:
    """What rules may look at: a snapshot of one ticket taken by the worker."""

    id: int
    status: str
    priority: str
    request_type: str | None
    team: str | None
    assignee: str | None
    tags: frozenset[str]
    requester_email: str
    requester_language: str | None
    created_at: datetime  # aware UTC
    status_changed_at: datetime
    last_customer_message_at: datetime | None
    sla_paused: bool = False
    links: tuple[tuple[str, int], ...] = ()  # (kind, other ticket id)


@dataclass(frozen=True)
class EventFacts:
    """What happened; `old`/`new` carry the values of a *.changed event."""

    kind: str
    author_role: str | None = None
    author_email: str | None = None
    subject: str = ""
    body: str = ""
    has_attachment: bool = False
    #: Reads whether a text says the problem is solved ("works now", "rozwiązane",
    #: "已解决"; `postdesk.mail.solved.is_solved`), given for a customer's or
    #: participant's mail; asked only when a rule's condition needs it (see `says_solved`).
    solved_reader: Callable[[str], bool] | None = field(default=None, compare=False,
                                                        repr=False)
    old: str | None = None
    new: str | None = None
    caused_by_rule: str | None = None
    public: bool = True  # the message reaches the customer (False: an agent's note, #silent)
    #: a `satisfaction.rated` event's rating (1 worst .. 5 or 3 best, `[csat] scale`)
    rating: int | None = None

    @property
    def says_solved(self) -> bool:
        """The new text (`body`) of a customer's mail says the problem is solved."""
        return self.solved_reader is not None and self.solved_reader(self.body)


@dataclass(frozen=True)
class Effect:
    """One thing a rule decided; `params` are validated and normalised.

    auditor=True: apply inside the ticket's transaction (status, priority,
    assignment, tags, notes, SLA pause/resume, links, request type, language).
    auditor=False: a reactor effect, i.e. an outbox row (notify, reply).
    """

    action: str
    params: Mapping[str, Any]
    rule: str
    auditor: bool
    event: str = ""  # the event kind the rule fired on
    depth: int = 0  # 0: the worker's event; n: n steps down a chain


def _always_business_hours(at: datetime) -> bool:
    return True


#: The knowledge base's best public articles for a text from a customer writing in a
#: language, on a ticket of a request type (only the articles that apply to it):
#: (article id, score 0..1), best first.
KbMatches = tuple[tuple[str, float], ...]
KbBest = Callable[[str, str | None, str | None], KbMatches]


def _no_knowledge_base(text: str, language: str | None, request_type: str | None
                       ) -> KbMatches:
    return ()


@dataclass(frozen=True)
class RuleContext:
    """What conditions and actions need from outside, as plain data and callables."""

    is_business_hours: Callable[[datetime], bool] = _always_business_hours
    teams: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # team -> agents
    last_assigned: Mapping[str, str] = field(default_factory=dict)  # team -> last agent
    max_depth: int = 5
    kb_best: KbBest = _no_knowledge_base


@dataclass(frozen=True)
class Vocabulary:
    """The names a rules file may use; None means "any name is accepted"."""

    statuses: frozenset[str] = frozenset(DEFAULT_STATUSES)
    priorities: frozenset[str] = frozenset(DEFAULT_PRIORITIES)
    teams: frozenset[str] | None = None
    request_types: frozenset[str] | None = None


@dataclass(frozen=True)
class SkippedEvent:
    """A derived event that was not evaluated, and why."""

    event: EventFacts
    depth: int
    reason: str


@dataclass(frozen=True)
class RunResult:
    """The outcome of one `run_rules` call."""

    effects: tuple[Effect, ...]
    fired: tuple[tuple[str, str], ...]  # (rule name, event kind), in firing order
    ticket: TicketFacts  # the snapshot after the auditor effects
    skipped: tuple[SkippedEvent, ...] = ()
    unchanged: tuple[Effect, ...] = ()  # auditor actions that found nothing to change
    last_assigned: Mapping[str, str] = field(default_factory=dict)  # updated round-robin state

    @property
    def auditor_effects(self) -> tuple[Effect, ...]:
        return tuple(e for e in self.effects if e.auditor)

    @property
    def reactor_effects(self) -> tuple[Effect, ...]:
        return tuple(e for e in self.effects if not e.auditor)


class Subject:
    """One evaluation's inputs; lowercases subject and body once, on first use."""

    __slots__ = ("_body", "_subject", "context", "event", "now", "ticket")

    def __init__(self, event: EventFacts, ticket: TicketFacts, now: datetime,
                 context: RuleContext) -> None:
        self.event = event
        self.ticket = ticket
        self.now = now
        self.context = context
        self._subject: str | None = None
        self._body: str | None = None

    @property
    def subject_lower(self) -> str:
        if self._subject is None:
            self._subject = self.event.subject.casefold()
        return self._subject

    @property
    def body_lower(self) -> str:
        if self._body is None:
            self._body = self.event.body.casefold()
        return self._body
