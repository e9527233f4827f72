"""Run the desk's rules for what just happened to a ticket, inside the worker's transaction.

The pure engine (`postdesk.automation`) decides; this module takes the
ticket's snapshot, hands the engine the event, and applies what it returns in
order: auditor effects change the ticket here and now (each change records
the rule that made it), reactor effects become outbox rows. The engine has
already followed the chain of derived events, so nothing here runs the rules
a second time. Mail to customers obeys loop safety: no automatic mail in
answer to a mail that must not be answered, and the rate limit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from postdesk.automation import Effect, EventFacts, RuleContext, RuleSet, TicketFacts, run_rules
from postdesk.config.runtime import Runtime
from postdesk.notify.ratelimit import automatic_mail_held_back
from postdesk.store import fastsql
from postdesk.store.db import database
from postdesk.store.models import Customer, Message, Outbox, Participant, Ticket
from postdesk.tickets import service
from postdesk.tickets.mailing import MailRequest, build_mail
from postdesk.tickets.notify_hold import hold_until_open, wants_hold
from postdesk.tickets.teams import Agent

log = logging.getLogger(__name__)

#: Link kinds as seen from the other ticket.
_INVERSE = {"duplicate_of": "duplicated_by", "duplicated_by": "duplicate_of",
            "related": "related"}


@dataclass
class Trigger:
    """The event and what the worker knows about the mail behind it, if any."""

    event: EventFacts
    may_auto_reply: bool = True  # False when the mail that caused it must not be answered
    why_not: str = ""  # and why (e.g. "Auto-Submitted: auto-replied")
    desk_address: str | None = None
    message_text: str = ""
    outbox_ids: list[int] = field(default_factory=list)
    status_since: datetime | None = None  # when the ticket entered its status before the rules
    mail_context: dict[str, Any] = field(default_factory=dict)  # for the templates (e.g. sla)


def facts_of(ticket: Ticket) -> TicketFacts:
    """The snapshot rules look at."""
    return facts_for([ticket])[ticket.id]


def facts_for(tickets: Sequence[Ticket]) -> dict[int, TicketFacts]:
    """The snapshots of several tickets, read with the same few queries as one."""
    ids = [t.id for t in tickets]
    among = f"IN ({fastsql.placeholders(len(ids))})"
    p = _param()
    last_customer = {ticket_id: Message.created_at.python_value(at) for ticket_id, at in
                     database.execute_sql(
        # one ticket (the worker's case): its newest such message, straight from the index
        'SELECT "ticket_id", "created_at" FROM "message" WHERE "ticket_id" = '
        f'{p} AND "direction" = {p} AND "visibility" = {p} ORDER BY "id" DESC LIMIT 1'
        if len(ids) == 1 else
        'SELECT "ticket_id", "created_at" FROM "message" WHERE "id" IN '
        f'(SELECT MAX("id") FROM "message" WHERE "ticket_id" {among} '
        f'AND "direction" = {p} AND "visibility" = {p} GROUP BY "ticket_id")',
        [*ids, "in", "public"])}
    own: dict[int, list[tuple[str, int]]] = {i: [] for i in ids}
    inverse: dict[int, list[tuple[str, int]]] = {i: [] for i in ids}
    kinds = tuple(_INVERSE)
    for ticket_id, other_id, kind in database.execute_sql(
            'SELECT "ticket_id", "other_id", "kind" FROM "link" WHERE '
            f'("ticket_id" {among} OR "other_id" {among}) '
            f'AND "kind" IN ({fastsql.placeholders(len(kinds))}) ORDER BY "id"',
            [*ids, *ids, *kinds]):
        if ticket_id in own:
            own[ticket_id].append((kind, other_id))
        if other_id in inverse:
            inverse[other_id].append((_INVERSE[kind], ticket_id))
    fastsql.prime_related(tickets, Ticket.requester)
    return {ticket.id: _snapshot(ticket, last_customer.get(ticket.id),
                                 own[ticket.id] + inverse[ticket.id]) for ticket in tickets}


def opened_facts(ticket: Ticket, first_message: Message,
                 links: Sequence[tuple[str, int]] = ()) -> TicketFacts:
    """`facts_of` a ticket opened in this transaction, from what opened it: its first
    message (the customer's) and the links made since (kind, other ticket); nothing
    needs reading."""
    assert first_message.direction == "in" and first_message.visibility == "public"
    return _snapshot(ticket, first_message.created_at,
                     [link for link in links if link[0] in _INVERSE])


def _snapshot(ticket: Ticket, last_customer_message_at: datetime | None,
              links: list[tuple[str, int]]) -> TicketFacts:
    requester = fastsql.related(ticket, Ticket.requester)
    return TicketFacts(
        id=ticket.id, status=ticket.status, priority=ticket.priority,
        request_type=ticket.request_type, team=ticket.team, assignee=ticket.assignee,
        tags=frozenset(ticket.tags or ()), requester_email=requester.email,
        requester_language=requester.language, created_at=ticket.created_at,
        status_changed_at=ticket.status_changed_at or ticket.created_at,
        last_customer_message_at=last_customer_message_at,
        sla_paused=ticket.sla_paused, links=tuple(dict.fromkeys(links)),
    )


def _param() -> str:
    return str(database.obj.param)


def run_automations(ticket: Ticket, trigger: Trigger, runtime: Runtime, now: datetime,
                    facts: TicketFacts | None = None) -> list[int]:
    """Evaluate and apply the rules for one event; return the outbox ids to dispatch.
    `facts`: the ticket's snapshot when the caller knows it (`opened_facts`)."""
    rules = runtime.rules
    if not rules.for_event(trigger.event.kind):  # nothing can fire, so nothing can chain
        return trigger.outbox_ids
    facts = facts if facts is not None else facts_of(ticket)
    trigger.status_since = facts.status_changed_at
    result = run_rules(rules, trigger.event, facts, now=now,
                       context=rule_context(runtime, rules))
    for skipped in result.skipped:
        service.record_event(ticket, "rules.chain_stopped",
                             {"event": skipped.event.kind, "reason": skipped.reason},
                             actor="system", now=now)
    for effect in result.effects:
        _apply(effect, ticket, trigger, runtime, now)
    return trigger.outbox_ids


def rule_context(runtime: Runtime, rules: RuleSet | None = None) -> RuleContext:
    """What conditions and actions need from the desk: business hours (the default SLA
    policy's calendar), the teams, and who each team's round-robin gave a ticket last
    (read only when a rule may assign)."""
    from postdesk.config.live_sla import sla_config
    from postdesk.sla.calendar import business_hours_test

    config = sla_config(runtime)
    teams = runtime.teams.as_rule_teams()
    last_assigned = {}
    if (rules if rules is not None else runtime.rules).assigns:
        param = _param()
        for team in teams:
            latest = database.execute_sql(
                f'SELECT "assignee" FROM "ticket" WHERE "team" = {param} AND "assignee" IS '
                'NOT NULL ORDER BY "updated_at" DESC LIMIT 1', [team]).fetchone()
            if latest is not None:
                last_assigned[team] = latest[0]
    if config is None:
        return RuleContext(teams=teams, last_assigned=last_assigned,
                           max_depth=runtime.settings.rules.max_depth)
    return RuleContext(is_business_hours=business_hours_test(config.default.calendar),
                       teams=teams,
                       last_assigned=last_assigned, max_depth=runtime.settings.rules.max_depth)


def _apply(effect: Effect, ticket: Ticket, trigger: Trigger, runtime: Runtime,
           now: datetime) -> None:
    params, rule, actor = effect.params, effect.rule, "system"
    match effect.action:
        case "set_status":
            service.set_status(ticket, params["status"], actor=actor, now=now, rule=rule)
        case "set_priority":
            service.change_ticket(ticket, "priority.changed", actor=actor, rule=rule, now=now,
                                  priority=params["priority"])
        case "set_request_type":
            service.change_ticket(ticket, "request_type.changed", actor=actor, rule=rule,
                                  now=now, request_type=params["request_type"])
        case "assign":
            service.change_ticket(ticket, "assignee.changed", actor=actor, rule=rule, now=now,
                                  team=params["team"], assignee=params["assignee"])
        case "add_tag" | "remove_tag":
            tags = set(ticket.tags or ())
            tags = tags | set(params["tags"]) if effect.action == "add_tag" \
                else tags - set(params["tags"])
            service.change_ticket(ticket, "tags.changed", actor=actor, rule=rule, now=now,
                                  tags=sorted(tags))
        case "pause_sla" | "resume_sla":
            service.change_ticket(ticket, "sla.paused" if effect.action == "pause_sla"
                                  else "sla.resumed", actor=actor, rule=rule, now=now,
                                  sla_paused=effect.action == "pause_sla")
        case "set_customer_language":
            Customer.update(language=params["requester_language"]).where(
                Customer.id == ticket.requester_id).execute()
            service.record_event(ticket, "customer.language_changed",
                                 {"language": params["requester_language"]}, actor=actor,
                                 rule=rule, now=now)
        case "add_note":
            service.add_note(ticket, params["text"], author="rule:" + rule, now=now, rule=rule)
        case "link":
            service.link_tickets(ticket, params["ticket"], params["kind"], actor=actor, now=now)
        case "resolve_linked":
            _resolve_linked(ticket, params, rule, trigger, runtime, now)
        case "reply":
            _queue(ticket, MailRequest(params["template"], _requester_email(ticket), True),
                   rule, trigger, runtime, now)
        case "notify":
            requests = _notify_requests(ticket, params, runtime)
            hold = wants_hold(params, trigger.event.kind)
            for request in requests:
                queued = _queue(ticket, request, rule, trigger, runtime, now)
                if hold and queued is not None and hold_until_open(
                        queued, request, ticket, runtime, now, rule) is not None:
                    trigger.outbox_ids.remove(queued.id)  # the sweeper sends it when due
            if not requests:
                service.record_event(ticket, "notify.no_recipients",
                                     {"template": params["template"], "to": list(params["to"])},
                                     actor=actor, rule=rule, now=now)
        case _:
            log.error("rule %s: no way to apply action %s", rule, effect.action)


def _resolve_linked(ticket: Ticket, params: Any, rule: str, trigger: Trigger,
                    runtime: Runtime, now: datetime) -> None:
    for other_id in params["tickets"]:
        other = Ticket.get_or_none(Ticket.id == other_id)
        if other is None:
            continue
        service.set_status(other, params["status"], actor="system", now=now, rule=rule,
                           reason=f"linked ticket #{ticket.id}")
        # a duplicate was usually resolved when it was marked: its requester still
        # hears that the original is solved now
        if params.get("template"):
            request = MailRequest(params["template"], other.requester.email, True,
                                  extra={"original": {"id": ticket.id}})
            _queue(other, request, rule, trigger, runtime, now)


def _notify_requests(ticket: Ticket, params: Any, runtime: Runtime) -> list[MailRequest]:
    requests: list[MailRequest] = []
    for target in params["to"]:
        if target == "requester":
            requests.append(MailRequest(params["template"], _requester_email(ticket), True))
        elif target == "participants":
            requests += [MailRequest(params["template"], p.customer.email, True)
                         for p in Participant.select().where(Participant.ticket == ticket.id)]
        elif target == "assignee" and ticket.assignee:
            agent = runtime.teams.agent(ticket.assignee)
            requests.append(agent_request(params["template"], agent) if agent
                            else MailRequest(params["template"], ticket.assignee, False))
        elif target == "team":
            requests += [agent_request(params["template"], agent) for agent in
                         runtime.teams.agents(ticket.team or _first(runtime.teams.team_names))]
        elif "@" in target:
            agent = runtime.teams.agent(target)
            requests.append(agent_request(params["template"], agent) if agent
                            else MailRequest(params["template"], target, False))
    return requests


def _requester_email(ticket: Ticket) -> str:
    return str(fastsql.related(ticket, Ticket.requester).email)


def _first(names: Any) -> str:
    return next(iter(names), "")


def agent_request(template: str, agent: Agent, **extra: Any) -> MailRequest:
    """A mail to an agent, in the agent's language and time zone."""
    return MailRequest(template, agent.email, False, language=agent.language,
                       timezone=agent.timezone,
                       extra={"agent": {"name": agent.name, "email": agent.email}, **extra})


def _queue(ticket: Ticket, request: MailRequest, rule: str, trigger: Trigger,
           runtime: Runtime, now: datetime) -> Outbox | None:
    if request.to_customer:
        if not trigger.may_auto_reply:
            service.record_event(ticket, "autoreply.suppressed",
                                 {"template": request.template,
                                  "reason": trigger.why_not or "must not be answered"},
                                 actor="system", rule=rule, now=now)
            return None
        held_back = automatic_mail_held_back(request.recipient, now, runtime.settings.limits)
        if held_back:
            service.record_event(ticket, "autoreply.held_back",
                                 {"template": request.template, "reason": held_back},
                                 actor="system", rule=rule, now=now)
            return None
    if trigger.mail_context:
        request = replace(request, extra={**trigger.mail_context, **request.extra})
    if trigger.status_since is not None and "inactivity" not in request.extra:
        # "no answer for 7 days" counts from before the rule changed the status
        days = max((now - trigger.status_since).days, 0)
        request = replace(request, extra={**request.extra, "inactivity": {"days": days}})
    mail = build_mail(request, ticket, runtime, now=now, desk_address=trigger.desk_address,
                      message_text=trigger.message_text)
    queued = service.queue_mail(ticket, mail, now=now)
    trigger.outbox_ids.append(queued.id)
    return queued
