"""Scheduled queue digests: the `send_queue_digest` rules, once per schedule scan.

`due_day` (pure) says whether a recipient's digest is due at `now` and for
which local day; `send_scheduled_digests` queues one outbox row per rule,
recipient and day, with a Message-ID made of those, so a second scan, a
second node or a restart never sends it twice. See
`postdesk.automation.digest_action` for the rule's format.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postdesk.config.runtime import Runtime
from postdesk.store.db import IntegrityError, database
from postdesk.store.outbox_counts import message_queued
from postdesk.ticket_queues.digest import digest_mail
from postdesk.tickets import service
from postdesk.tickets.service import MailToSend
from postdesk.tickets.teams import Agent, TeamBook

log = logging.getLogger(__name__)

#: A digest not sent at its time (the desk was down) is still sent this long after.
LATE_WINDOW = timedelta(hours=1)


def due_day(now: datetime, zone: ZoneInfo, at: time, days: frozenset[int]) -> date | None:
    """The local day whose digest is due at `now`: `at` has passed in `zone` on one of
    `days` (0 = Monday) less than LATE_WINDOW ago. None: not now."""
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), at, tzinfo=zone)
    if local.weekday() in days and start <= local < start + LATE_WINDOW:
        return local.date()
    return None


def recipients(names: Iterable[str], teams: TeamBook) -> tuple[list[Agent], list[str]]:
    """The agents named (teams expanded, each once) and the names that are neither."""
    found: dict[str, Agent] = {}
    unknown: list[str] = []
    for name in names:
        if "@" in name:
            agent = teams.agent(name)
            agents = [agent] if agent is not None else []
        else:
            agents = list(teams.agents(name)) if teams.team(name) is not None else []
        if not agents:
            unknown.append(name)
        for agent in agents:
            found.setdefault(agent.email, agent)
    return list(found.values()), unknown


def digest_message_id(rule: str, queue: str, agent: str, day: date, domain: str) -> str:
    who = hashlib.sha256(agent.encode()).hexdigest()[:12]
    return f"digest.{rule}.{queue}.{day:%Y%m%d}.{who}@{domain}"


def send_scheduled_digests(now: datetime, runtime: Runtime) -> list[int]:
    """Queue the digests due at `now`; return the new outbox ids."""
    queued: list[int] = []
    settings = runtime.settings
    for rule in runtime.rules.desk_rules:
        for call in rule.actions:
            if call.definition.name != "send_queue_digest":
                continue
            params = call.params
            queue = runtime.queues.get(params["queue"])
            if queue is None:
                log.error("%s: rule %s: no queue '%s' in rules/queues.yaml; digest not sent",
                          call.where, rule.name, params["queue"])
                continue
            agents, unknown = recipients(params["to"], runtime.teams)
            if unknown:
                log.error("%s: rule %s: %s not an agent or team of rules/teams.yaml",
                          call.where, rule.name, ", ".join(unknown))
            for agent in agents:
                day = due_day(now, zone_of(agent.timezone or settings.desk.timezone),
                              params["at"], params["days"])
                if day is None:
                    continue
                message_id = digest_message_id(rule.name, queue.name, agent.email, day,
                                               settings.desk.domain)
                outbox_id = queue_once(message_id, partial(
                    digest_mail, runtime, agent, queue, now, message_id=message_id), now)
                if outbox_id is not None:
                    queued.append(outbox_id)
    return queued


def queue_once(message_id: str, make: Callable[[], MailToSend], now: datetime) -> int | None:
    """Queue the mail `make()` builds unless one with `message_id` is queued already (by an
    earlier scan or another node): the outbox id, or None."""
    try:
        with database.atomic():
            if message_queued(message_id):
                return None
            return int(service.queue_mail(None, make(), now=now).id)
    except IntegrityError:  # another scan queued it a moment ago
        return None


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
