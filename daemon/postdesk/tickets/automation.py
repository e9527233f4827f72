"""Run the desk's rules for what just happened to a ticket, inside the worker's transaction.

The pure engine (`postdesk.automation`) decides; this module takes the
ticket's snapshot, hands the engine the event, and applies what it returns in
order: auditor effects change the ticket here and now through the appliers
an agent's commands use too (`postdesk.tickets.effects`; each change records
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
from postdesk.automation.snapshot import SNAPSHOT_EVENT, snapshot
from postdesk.config.runtime import Runtime
from postdesk.notify.ratelimit import automatic_mail_held_back
from postdesk.store import fastsql, rule_lookups, ticket_lookups
from postdesk.store.models import Message, Outbox, Ticket
from postdesk.tickets import service
from postdesk.tickets.csat_survey import hold_survey, survey_request
from postdesk.tickets.effects import APPLIERS, Change, ChangedBy, apply_effect
from postdesk.tickets.kb_answer import answer_with_article, kb_matcher
from postdesk.tickets.mailing import MailRequest, build_mail, sla_due
from postdesk.tickets.notify_hold import hold_until_open, wants_hold
from postdesk.tickets.outcome import status_change
from postdesk.tickets.teams import Agent
from postdesk.tickets.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

#: The actions applied here, because they make mail (the others change the ticket and are
#: applied by `tickets.effects`).
MAIL_ACTIONS = frozenset({"reply", "notify", "resolve_linked", "answer_with_article",
                          "ask_satisfaction"})

#: Link kinds as seen from the other ticket.
_INVERSE = {"duplicate_of": "duplicated_by", "duplicated_by": "duplicate_of",
            "possible_duplicate_of": "possibly_duplicated_by",
            "possibly_duplicated_by": "possible_duplicate_of", "related": "related"}


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
    #: the stored message behind the event, for agents' notifications: {"id": Message id,
    #: "author": {name, email, role, verified}}; its files are attached or listed
    message: dict[str, Any] = field(default_factory=dict)
    agent_facts: dict[str, Any] | None = field(default=None, repr=False)  # once per event
    #: why the rules' `reply` mails to the customer are not sent for this change, as the
    #: event recorded instead: "reply.folded" (the agent's public answer states it) or
    #: "reply.silenced" (the agent wrote #silent)
    customer_replies_held: str | None = None
    #: how many rules' answers with an article (`answer_with_article`) this run still has to
    #: apply, and the `reply` mails waiting for them: the answer is the customer's one mail
    #: for the event, so a reply before it (the acknowledgment) waits and is folded into it
    #: ("reply.folded"), or goes its way when no answer went out (`_answer`)
    answers_ahead: int = 0
    replies_waiting: list[Effect] = field(default_factory=list)


def facts_of(ticket: Ticket) -> TicketFacts:
    """The snapshot rules look at."""
    return facts_for([ticket])[ticket.id]


def facts_for(tickets: Sequence[Ticket]) -> dict[int, TicketFacts]:
    """The snapshots of several tickets, read with the same few queries as one."""
    ids = [t.id for t in tickets]
    last_customer = rule_lookups.last_customer_messages(ids)
    own: dict[int, list[tuple[str, int]]] = {i: [] for i in ids}
    inverse: dict[int, list[tuple[str, int]]] = {i: [] for i in ids}
    for ticket_id, other_id, kind in rule_lookups.links_touching(ids, tuple(_INVERSE)):
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


def run_rules_for_changes(ticket: Ticket, changes: Sequence[Change], *, author_email: str,
                          desk_address: str, outbox_ids: list[int], runtime: Runtime,
                          now: datetime, work: UnitOfWork | None,
                          customer_replies_held: str | None = None) -> None:
    """The rules listening to each change an agent (by mail, or the operator in the
    terminal) made, in the order they were made; `customer_replies_held`: see `Trigger`."""
    for change in changes:
        trigger = Trigger(EventFacts(change.kind, author_role="agent", author_email=author_email,
                                     old=change.old, new=change.new),
                          desk_address=desk_address, outbox_ids=outbox_ids,
                          customer_replies_held=customer_replies_held)
        run_automations(ticket, trigger, runtime, now, work=work)


def run_automations(ticket: Ticket, trigger: Trigger, runtime: Runtime, now: datetime,
                    facts: TicketFacts | None = None, *, work: UnitOfWork | None = None
                    ) -> list[int]:
    """Evaluate and apply the rules for one event; return the outbox ids to dispatch.
    `facts`: the ticket's snapshot when the caller knows it (`opened_facts`); `work`: the
    caller's unit of work, which gathers the events."""
    rules = runtime.rules
    if not rules.for_event(trigger.event.kind):  # nothing can fire, so nothing can chain
        return trigger.outbox_ids
    facts = facts if facts is not None else facts_of(ticket)
    trigger.status_since = facts.status_changed_at
    result = run_rules(rules, trigger.event, facts, now=now,
                       context=rule_context(runtime, rules))
    _record_snapshot(ticket, trigger, facts, bool(result.effects), now, work)
    for skipped in result.skipped:
        service.record_event(ticket, "rules.chain_stopped",
                             {"event": skipped.event.kind, "reason": skipped.reason},
                             actor="system", now=now, work=work)
    trigger.answers_ahead = sum(e.action == "answer_with_article" for e in result.effects)
    for effect in result.effects:
        by = ChangedBy("system", now, rule=effect.rule, work=work)
        if effect.action in APPLIERS:
            apply_effect(ticket, effect, by)
        elif effect.action in MAIL_ACTIONS:
            _make_mail(effect, ticket, trigger, runtime, by)
        else:
            log.error("rule %s: no way to apply action %s", effect.rule, effect.action)
    return trigger.outbox_ids


def _record_snapshot(ticket: Ticket, trigger: Trigger, facts: TicketFacts, fired: bool,
                     now: datetime, work: UnitOfWork | None) -> None:
    """Keep what the rules saw, for `postdesk rules explain` (`automation.snapshot`). The
    scheduler's `schedule` event, offered to every open ticket each tick, is kept only
    when a rule fired on it."""
    event = trigger.event
    if event.kind == "schedule" and not fired:
        return
    author = trigger.message.get("author")
    data = snapshot(event, facts, message_id=trigger.message.get("id"),
                    sender={"role": author.get("role"), "email": author.get("email"),
                            "verified": bool(author.get("verified", True))}
                    if author else None)
    service.record_event(ticket, SNAPSHOT_EVENT, data,
                         actor=event.author_email or "system", now=now, work=work)


def rule_context(runtime: Runtime, rules: RuleSet | None = None) -> RuleContext:
    """What conditions and actions need from the desk: business hours (the default SLA
    policy's calendar), the teams, and who each team's round-robin gave a ticket last
    (read only when a rule may assign)."""
    from postdesk.config.live_sla import sla_config
    from postdesk.sla.calendar import business_hours_test

    config = sla_config(runtime)
    teams = runtime.teams.as_rule_teams()
    kb_best = kb_matcher(runtime)
    last_assigned = {}
    if (rules if rules is not None else runtime.rules).assigns:
        for team in teams:
            latest = rule_lookups.last_assigned(team)
            if latest is not None:
                last_assigned[team] = latest
    if config is None:
        return RuleContext(teams=teams, last_assigned=last_assigned,
                           max_depth=runtime.settings.rules.max_depth, kb_best=kb_best)
    return RuleContext(is_business_hours=business_hours_test(config.default.calendar),
                       teams=teams,
                       last_assigned=last_assigned, max_depth=runtime.settings.rules.max_depth,
                       kb_best=kb_best)


def _make_mail(effect: Effect, ticket: Ticket, trigger: Trigger, runtime: Runtime,
               by: ChangedBy) -> None:
    """The actions that make mail: `reply`, `notify` and `resolve_linked` (which also sets
    the linked tickets' status)."""
    params, rule, now = effect.params, effect.rule, by.now
    match effect.action:
        case "resolve_linked":
            _resolve_linked(ticket, params, trigger, runtime, by)
        case "reply" if trigger.customer_replies_held:
            service.record_event(ticket, trigger.customer_replies_held,
                                 {"template": params["template"]},
                                 actor="system", rule=rule, now=now, work=by.work)
        case "reply" if trigger.answers_ahead:
            trigger.replies_waiting.append(effect)
        case "reply":
            _queue(ticket, MailRequest(params["template"], _requester_email(ticket), True),
                   trigger, runtime, by)
        case "ask_satisfaction":
            _ask_satisfaction(effect, ticket, trigger, runtime, by)
        case "answer_with_article":
            _answer(effect, ticket, trigger, runtime, by)
        case "notify":
            requests = _notify_requests(ticket, params, runtime)
            sla = trigger.mail_context.get("sla")
            hold = wants_hold(params, trigger.event.kind, sla, runtime)
            deadline = _due_at(sla) if trigger.event.kind == "sla.warning" else None
            for request in requests:
                queued = _queue(ticket, request, trigger, runtime, by)
                if hold and queued is not None and hold_until_open(
                        queued, request, ticket, runtime, now, rule, work=by.work,
                        deadline=deadline) is not None:
                    trigger.outbox_ids.remove(queued.id)  # the sweeper sends it when due
            if not requests:
                service.record_event(ticket, "notify.no_recipients",
                                     {"template": params["template"], "to": list(params["to"])},
                                     actor=by.actor, rule=rule, now=now, work=by.work)


def _answer(effect: Effect, ticket: Ticket, trigger: Trigger, runtime: Runtime,
            by: ChangedBy) -> None:
    """A rule's answer with an article. Once it is queued, the rules' `reply` mails of this
    run (those that waited for it and those after it) are folded into it; when no answer
    went out (no public article, or no automatic mail allowed), the last answer of the run
    lets the waiting replies go."""
    trigger.answers_ahead -= 1
    question = f"{trigger.event.subject}\n{trigger.event.body}"
    answer = answer_with_article(ticket, effect.params, question, runtime, by)
    queued = None
    if answer is not None:
        request, text = answer
        queued = _queue(ticket, request, replace(trigger, message_text=text), runtime, by)
    if queued is not None and not trigger.customer_replies_held:
        trigger.customer_replies_held = "reply.folded"
    if queued is None and trigger.answers_ahead:
        return  # a later answer may still go
    waiting, trigger.replies_waiting = trigger.replies_waiting, []
    for reply in waiting:
        _make_mail(reply, ticket, trigger, runtime,
                   ChangedBy(by.actor, by.now, rule=reply.rule, work=by.work))


def _ask_satisfaction(effect: Effect, ticket: Ticket, trigger: Trigger, runtime: Runtime,
                      by: ChangedBy) -> None:
    """The survey mail (`tickets.csat_survey`), held for `[csat] delay_minutes`."""
    asked = survey_request(ticket, effect, trigger.event, runtime, by)
    if asked is None:
        return
    request, resolution = asked
    queued = _queue(ticket, request, trigger, runtime, by)
    if queued is not None and hold_survey(ticket, queued, resolution, runtime, by,
                                          effect.rule):
        trigger.outbox_ids.remove(queued.id)  # the sweeper sends it when due


def _agent_facts(ticket: Ticket, trigger: Trigger, runtime: Runtime, now: datetime
                 ) -> dict[str, Any]:
    """What agents' notifications of this event show besides the ticket: the most urgent
    clock's due time, the message's real author, its files (attached up to
    `[agents] max_notification_attachments`, listed beyond). Read once per event."""
    if trigger.agent_facts is None:
        files = (ticket_lookups.message_files(trigger.message["id"])
                 if trigger.message.get("id") else [])
        room = runtime.settings.agents.max_notification_attachments
        attach, listed = [], []
        for file_id, name, size in files:
            fits = 0 < size <= room
            if fits:
                room -= size
                attach.append(file_id)
            listed.append({"filename": name, "size": size, "attached": fits})
        context: dict[str, Any] = {"sla_due": sla_due(ticket, runtime, now),
                                   "attachments": listed}
        for key in ("author", "possible_duplicates"):
            if key in trigger.message:
                context[key] = trigger.message[key]
        if trigger.message.get("html"):
            context["html"] = trigger.message["html"]
        if trigger.message.get("whole"):
            context["whole"] = True
        trigger.agent_facts = {"attach": tuple(attach), "context": context}
    return trigger.agent_facts


def _due_at(sla: Any) -> datetime | None:
    """When the clock a warning is about falls due: a held warning goes then at the latest."""
    due = sla.get("due_at") if isinstance(sla, dict) else None
    return datetime.fromisoformat(due) if isinstance(due, str) else None


def _resolve_linked(ticket: Ticket, params: Any, trigger: Trigger, runtime: Runtime,
                    by: ChangedBy) -> None:
    for other_id in params["tickets"]:
        other = Ticket.get_or_none(Ticket.id == other_id)
        if other is None:
            continue
        apply_effect(other, Effect("set_status", {"status": params["status"],
                                                  "reason": f"linked ticket #{ticket.id}"},
                                   rule=by.rule or "", auditor=True), by)
        # a duplicate was usually resolved when it was marked: its requester still
        # hears that the original is solved now
        if params.get("template"):
            request = MailRequest(params["template"], other.requester.email, True,
                                  extra={"original": {"id": ticket.id}})
            _queue(other, request, trigger, runtime, by)


def _notify_requests(ticket: Ticket, params: Any, runtime: Runtime) -> list[MailRequest]:
    requests: list[MailRequest] = []
    for target in params["to"]:
        if target == "requester":
            requests.append(MailRequest(params["template"], _requester_email(ticket), True))
        elif target == "participants":
            requests += [MailRequest(params["template"], email, True)
                         for email in ticket_lookups.participant_emails(ticket.id)]
        elif target == "assignee" and ticket.assignee:
            agent = runtime.teams.agent(ticket.assignee)
            requests.append(agent_request(params["template"], agent) if agent
                            else MailRequest(params["template"], ticket.assignee, False))
        elif target == "team":
            requests += [agent_request(params["template"], agent) for agent in
                         runtime.teams.agents(ticket.team or _first(runtime.teams.team_names))]
        elif target == "team_lead":
            requests += [agent_request(params["template"], agent) for agent in
                         runtime.teams.leads(ticket.team or _first(runtime.teams.team_names))]
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


def _queue(ticket: Ticket, request: MailRequest, trigger: Trigger, runtime: Runtime,
           by: ChangedBy) -> Outbox | None:
    now = by.now
    if request.to_customer:
        if not trigger.may_auto_reply:
            service.record_event(ticket, "autoreply.suppressed",
                                 {"template": request.template,
                                  "reason": trigger.why_not or "must not be answered"},
                                 actor="system", rule=by.rule, now=now, work=by.work)
            return None
        held_back = automatic_mail_held_back(request.recipient, now, runtime.settings.limits)
        if held_back:
            service.record_event(ticket, "autoreply.held_back",
                                 {"template": request.template, "reason": held_back},
                                 actor="system", rule=by.rule, now=now, work=by.work)
            return None
    if trigger.mail_context:
        request = replace(request, extra={**trigger.mail_context, **request.extra})
    if trigger.event.kind == "status.changed" and "change" not in request.extra:
        change = status_change(trigger.event.old, trigger.event.new, runtime.statuses)
        request = replace(request, extra={**request.extra, "change": change})
    if trigger.status_since is not None and "inactivity" not in request.extra:
        # "no answer for 7 days" counts from before the rule changed the status
        days = max((now - trigger.status_since).days, 0)
        request = replace(request, extra={**request.extra, "inactivity": {"days": days}})
    if not request.to_customer:
        facts = _agent_facts(ticket, trigger, runtime, now)
        request = replace(request, attachments=request.attachments or facts["attach"],
                          extra={"message_facts": facts["context"], **request.extra})
    mail = build_mail(request, ticket, runtime, now=now, desk_address=trigger.desk_address,
                      message_text=trigger.message_text, own_message=trigger.message.get("id"))
    queued = service.queue_mail(ticket, mail, now=now)
    trigger.outbox_ids.append(queued.id)
    return queued
