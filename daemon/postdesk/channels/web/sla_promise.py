"""The SLA promise the ticket page makes in customer terms ("we answer within 4
business hours"), when `[web] sla_promise` is on.

Read from the ticket's SLA policy (the one its clocks run on) and its targets
for the ticket's priority: the first-response target while the desk has not
answered yet, the next-response target when the customer wrote after our
answer. Nothing is promised while the ticket waits for the customer or is
closed, nor for a clock the policy does not keep. Pure: the caller reads the
policy and the thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.sla import Policy

MINUTE_S = 60
HOUR_S = 3600


@dataclass(frozen=True)
class Promise:
    """How soon we answer: `hours` when the target is whole hours, else `minutes`;
    `business`: counted in the desk's business hours (not around the clock)."""

    amount: int
    unit: str  # "hours" | "minutes"
    business: bool

    def as_context(self) -> dict[str, object]:
        return {"amount": self.amount, "unit": self.unit, "business": self.business}


def answer_promise(policy: Policy | None, priority: str | None, *, closed: bool,
                   desk_answered: bool, awaiting_desk: bool) -> Promise | None:
    """The promise for a ticket, or None when there is nothing to promise."""
    if policy is None or closed or not awaiting_desk:
        return None
    clock = "next_response" if desk_answered else "first_response"
    target_s = policy.targets_for(priority).get(clock)
    if not target_s:
        return None
    business = not policy.calendar.always_open
    if target_s % HOUR_S == 0:
        return Promise(target_s // HOUR_S, "hours", business)
    return Promise(max(1, round(target_s / MINUTE_S)), "minutes", business)
