"""The `send_report` rules, once per schedule scan: the KPI digest mailed to managers.

For each rule whose time has come (`at` in the desk's time zone: on Mondays for
`every: week`, each day for `every: day`; within the hour after, if the desk was
down), each recipient gets one mail about the period that just ended (the week
from Monday to Sunday, or the day before), with the Message-ID made of rule,
day and recipient so a second scan, a second node or a restart never sends it
twice. Each mail, and the HTML report it carries, is written in the recipient's
language (an agent's from rules/teams.yaml, else the desk's default), its
figures as that language writes them. See `postdesk.automation.report_action`
for the rule's format and `postdesk.report.report_mail` for the mail.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from postdesk.config.runtime import Runtime
from postdesk.mail.classify import LOOP_HEADER
from postdesk.report import kpi_html, report_mail
from postdesk.report.kpi_query import kpi_report
from postdesk.ticket_queues.schedule import due_day, queue_once, zone_of
from postdesk.tickets.service import MailToSend

log = logging.getLogger(__name__)

_LENGTH = {"week": timedelta(days=7), "day": timedelta(days=1)}
_DAYS = {"week": frozenset({0}), "day": frozenset(range(7))}


def period_before(day: date, every: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The week (or day) that ended at the midnight starting `day`, in `zone`."""
    until = datetime.combine(day, time(), zone)
    return until - _LENGTH[every], until


def report_message_id(rule: str, recipient: str, day: date, domain: str) -> str:
    who = hashlib.sha256(recipient.encode()).hexdigest()[:12]
    return f"report.{rule}.{day:%Y%m%d}.{who}@{domain}"


def send_scheduled_reports(now: datetime, runtime: Runtime) -> list[int]:
    """Queue the KPI digests due at `now`; return the new outbox ids."""
    queued: list[int] = []
    zone = zone_of(runtime.settings.desk.timezone)
    for rule in runtime.rules.desk_rules:
        for call in rule.actions:
            if call.definition.name != "send_report":
                continue
            params = call.params
            day = due_day(now, zone, params["at"], _DAYS[params["every"]])
            if day is None:
                continue
            mails: dict[str, Any] = {}
            for address, language in _recipients(runtime, params["to"], rule.name):
                message_id = report_message_id(rule.name, address, day,
                                               runtime.settings.desk.domain)
                make = partial(_mail, runtime, params, now.astimezone(zone), zone, day, mails,
                               address, language, message_id)
                outbox_id = queue_once(message_id, make, now)
                if outbox_id is not None:
                    queued.append(outbox_id)
    return queued


def _recipients(runtime: Runtime, names: tuple[str, ...], rule: str
                ) -> list[tuple[str, str]]:
    """(address, language) of each recipient: an address as written, a team as its
    agents; an agent's language from rules/teams.yaml, the desk's default for anyone else
    and an agent without one; an unknown team is logged."""
    found: dict[str, str] = {}
    teams, default = runtime.teams, runtime.settings.desk.default_language
    for name in names:
        if "@" in name:
            found.setdefault(name, teams.language_of(name, default))
        elif runtime.teams.team(name) is None:
            log.error("rule %s: no team '%s' in rules/teams.yaml; report not sent to it",
                      rule, name)
        else:
            for agent in runtime.teams.agents(name):
                found.setdefault(agent.email, teams.language_of(agent.email, default))
    return list(found.items())


def _mail(runtime: Runtime, params: Mapping[str, Any], now: datetime, zone: ZoneInfo,
          day: date, made: dict[str, Any], address: str, language: str,
          message_id: str) -> MailToSend:
    """The digest for one recipient in their language; the reports are queried once per
    rule and scan, the context and the attached file made once per language (`made`),
    whoever is the first recipient due."""
    settings = runtime.settings
    if "reports" not in made:
        since, until = period_before(day, params["every"], zone)
        closed = runtime.statuses.names_of_kind("closed")
        made["reports"] = (kpi_report(params["by"], since, until, now, closed), kpi_report(
            params["by"], until - timedelta(weeks=report_mail.TREND_WEEKS), until, now, closed))
    if language not in made:
        report, trend = made["reports"]
        words = kpi_html.written_in(runtime.renderer, language)
        desk = {"name": settings.desk.name, "address": settings.desk.addresses[0]}
        made[language] = (
            report_mail.report_context(report, trend, every=params["every"],
                                       form=params["format"], desk=desk,
                                       numbers=words["numbers"]),
            report_mail.attach(report, params["format"], settings.desk.name,
                               settings.branding.primary_colour, words))
    context, file = made[language]
    return MailToSend(
        kind=report_mail.TEMPLATE, recipient=address, message_id=message_id,
        language=language, timezone=settings.desk.timezone, context=context,
        headers={"from_name": settings.desk.name, "from_address": settings.desk.addresses[0],
                 "reply_to": None, "in_reply_to": None, "references": [],
                 "auto_submitted": "auto-generated",
                 LOOP_HEADER: runtime.identity.loop_value, "attachments": [],
                 "files": [file]},
        automatic=True)
