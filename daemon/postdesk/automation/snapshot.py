"""The facts a rule run saw, as JSON kept with the ticket's events (`rules.evaluated`).

`postdesk rules explain ID` judges each past event by these facts, not by the
ticket as it is today: a rule that matched while the ticket was unassigned
still reads "matched" after it was assigned. The worker records the snapshot
just before the rules' effects, with how the author was known (`sender`:
role, address, verified), so a forged mail is explained as what it was.
Replaying the history instead would have to rebuild every fact (tags, links,
the team, the last customer message) from the audit trail, and would drift
each time a fact is added; the snapshot is what the engine was given.

A message's text is not copied: the snapshot names the stored message
(`message`), whose text it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from postdesk.automation.model import EventFacts, TicketFacts

#: The event kind under which the worker records a snapshot.
SNAPSHOT_EVENT = "rules.evaluated"
_TIMES = ("created_at", "status_changed_at", "last_customer_message_at")
# the solved reader is code, not a fact: `restore` is given it again
_EVENT_FIELDS = tuple(f.name for f in fields(EventFacts) if f.name != "solved_reader")
_TICKET_FIELDS = tuple(f.name for f in fields(TicketFacts))


def snapshot(event: EventFacts, facts: TicketFacts, *, message_id: int | None = None,
             sender: dict[str, Any] | None = None) -> dict[str, Any]:
    """JSON for `event` and `facts` (the body only when no stored message holds it)."""
    # field by field: dataclasses.asdict deep-copies, and this runs for every rule run
    seen = {name: getattr(event, name) for name in _EVENT_FIELDS
            if not (name == "body" and message_id is not None)}
    ticket: dict[str, Any] = {name: getattr(facts, name) for name in _TICKET_FIELDS}
    ticket["tags"] = sorted(facts.tags)
    ticket["links"] = [list(link) for link in facts.links]
    for name in _TIMES:
        value = ticket[name]
        ticket[name] = value.isoformat() if value is not None else None
    data: dict[str, Any] = {"event": seen, "facts": ticket}
    if message_id is not None:
        data["message"] = message_id
    if sender:
        data["sender"] = dict(sender)
    return data


def restore(data: dict[str, Any], body: str = "",
            solved_reader: Callable[[str], bool] | None = None
            ) -> tuple[EventFacts, TicketFacts]:
    """The EventFacts and TicketFacts of a snapshot; `body`: the named message's text;
    `solved_reader`: reads `says_solved` from it again (for a customer's or participant's
    mail). Keys unknown to this version are ignored, missing ones take their defaults."""
    known_event = set(_EVENT_FIELDS)
    seen = {k: v for k, v in data["event"].items() if k in known_event}
    if seen.get("author_role") not in ("agent", "system"):  # a mail from outside
        seen["solved_reader"] = solved_reader
    event = EventFacts(**seen)
    if "message" in data:
        event = EventFacts(**{**asdict(event), "body": body})
    raw = dict(data["facts"])
    known_ticket = {f.name for f in fields(TicketFacts)}
    raw = {k: v for k, v in raw.items() if k in known_ticket}
    raw["tags"] = frozenset(raw.get("tags", ()))
    raw["links"] = tuple((kind, int(other)) for kind, other in raw.get("links", ()))
    for name in _TIMES:
        if raw.get(name) is not None:
            raw[name] = datetime.fromisoformat(raw[name])
    return event, TicketFacts(**raw)
