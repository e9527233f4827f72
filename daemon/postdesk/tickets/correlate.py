"""Which ticket does a mail belong to? A pure decision over gathered facts.

The order is the one that cannot be hijacked: (1) our signed reply address,
(2) our own Message-IDs in In-Reply-To/References, (3) the `[#123]` subject
tag, but only when the sender is already on that ticket. Anything else is a
new ticket: a stranger never gets a foothold in someone else's ticket.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ThreadFacts:
    """What the store found for one incoming mail (read by `receive.known.StoreKnown`)."""

    sender: str  # lowercased
    token_ticket: int | None = None
    referenced_tickets: tuple[int, ...] = ()  # tickets of known Message-IDs, newest reference first
    tagged_ticket: int | None = None
    tagged_ticket_people: frozenset[str] = frozenset()  # requester and participants, lowercased


@dataclass(frozen=True)
class ThreadMatch:
    ticket_id: int
    how: str  # reply-address | message-id | subject-tag


def find_ticket(facts: ThreadFacts) -> ThreadMatch | None:
    if facts.token_ticket == 0:  # an agent's desk address: about no ticket
        return None
    if facts.token_ticket is not None:
        return ThreadMatch(facts.token_ticket, "reply-address")
    if facts.referenced_tickets:
        return ThreadMatch(facts.referenced_tickets[0], "message-id")
    if facts.tagged_ticket is not None and facts.sender in facts.tagged_ticket_people:
        return ThreadMatch(facts.tagged_ticket, "subject-tag")
    return None
