"""Hold a rule's notification until the recipient's business hours (outbox.not_before).

The rules decide at any hour (the SLA scan runs every minute, all night);
people should hear of an SLA warning when they are at work. A held mail is
an ordinary outbox row whose `not_before` and `next_attempt_at` are the
recipient's next opening (`postdesk.sla.notify_hours`): the sender does not
claim it before then and the sweeper hands it to the sender once it is due,
so the "nothing lost, nothing sent twice" guarantees of the outbox are those
of any other mail. Its Date header is the release moment. The ticket gets a
`mail.held` event saying until when and by which calendar.

A desk without rules/sla.yaml has no calendars: nothing is held.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from postdesk.config.live_sla import sla_config
from postdesk.config.runtime import Runtime
from postdesk.sla.notify_hours import recipient_calendar, release_at
from postdesk.store import ticket_lookups
from postdesk.store.models import Outbox, Ticket
from postdesk.tickets import service
from postdesk.tickets.mailing import MailRequest
from postdesk.tickets.unit_of_work import UnitOfWork

#: Events whose notifications wait for business hours unless the rule says `anytime: true`.
HELD_BY_DEFAULT = frozenset({"sla.warning"})


def wants_hold(params: Mapping[str, Any], event_kind: str,
               sla: Mapping[str, Any] | None = None, runtime: Runtime | None = None) -> bool:
    """Whether a `notify` effect's mail waits for business hours (`anytime` decides;
    without it, warnings wait and everything else goes at once). A warning about a
    ticket whose policy runs 24/7 goes at once: the desk promised round-the-clock
    answers for it, so its people must hear at night (`sla`: the scan's mail context,
    which names the policy)."""
    anytime = params.get("anytime")
    if anytime is not None:
        return not anytime
    if event_kind not in HELD_BY_DEFAULT:
        return False
    return not (runtime is not None and sla is not None and _policy_always_open(runtime, sla))


def _policy_always_open(runtime: Runtime, sla: Mapping[str, Any]) -> bool:
    config = sla_config(runtime)
    policy = config.policy(str(sla.get("policy"))) if config is not None else None
    return policy is not None and policy.calendar.always_open


def hold_until_open(outbox: Outbox, request: MailRequest, ticket: Ticket, runtime: Runtime,
                    now: datetime, rule: str, *, work: UnitOfWork | None = None,
                    deadline: datetime | None = None) -> datetime | None:
    """Hold the row until its recipient's next business hours, at the latest until
    `deadline` (the clock's due time); None: open now (or the deadline has passed), sent
    as usual. Inside the caller's transaction, before the row is dispatched."""
    config = sla_config(runtime)
    if config is None:
        return None
    zone = request.timezone
    if zone is None and request.to_customer:
        customer = ticket_lookups.customer(request.recipient.lower())
        zone = customer.timezone if customer is not None else None
    calendar = recipient_calendar(config.notify_hours, config.default.calendar,
                                  request.recipient, runtime.teams.teams_of(request.recipient),
                                  zone)
    until = release_at(calendar, now, deadline)
    if until is None:
        return None
    service.hold_mail(outbox, until)
    service.record_event(ticket, "mail.held", {
        "outbox": outbox.id, "kind": outbox.kind, "to": outbox.recipient,
        "until": until.isoformat(), "calendar": calendar.name, "zone": calendar.zone.key,
    }, actor="system", rule=rule, now=now, work=work)
    return until
