"""The shape of one step of the receive chain, and what its decisions act with.

A step is a name and a `take` function: given the mail and what the store
knows of it (`Known`), it passes (None) or returns its `Decision`. Taking is
pure over plain data, so a test shows which mails a step takes and what it
decides without a database; the decision's `act` then does the step's writes,
through `tickets.service`, and says what became of the mail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from postdesk.config.runtime import Runtime
from postdesk.tickets.receive.arrived import Arrived, Outcome
from postdesk.tickets.receive.known import Known
from postdesk.tickets.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Receiving:
    """What a decision acts with: the desk, the clock, the unit of work that gathers the
    mail's events, and the store's answers the step already read."""

    runtime: Runtime
    now: datetime
    work: UnitOfWork
    known: Known


class Decision(Protocol):
    """What a step decided for a mail."""

    @property
    def ticket_id(self) -> int | None:
        """The ticket the mail concerns, when the step knows one already."""

    def act(self, mail: Arrived, receiving: Receiving) -> Outcome:
        """Carry the decision out and say what became of the mail."""
        ...


@dataclass(frozen=True)
class Settled:
    """A decision with nothing to write: the outcome is known."""

    outcome: Outcome

    @property
    def ticket_id(self) -> int | None:
        return self.outcome.ticket_id

    def act(self, mail: Arrived, receiving: Receiving) -> Outcome:
        return self.outcome


@dataclass(frozen=True)
class Step:
    """One link of the chain: its name (logged with the outcome) and its `take`."""

    name: str
    take: Callable[[Arrived, Known], Decision | None]
