"""The actions a rule's `then:` may list, run in order.

    then:
      - set_status: in_progress
      - set_priority: high
      - assign: hardware                 # a team: next agent of the team, round-robin
      - assign: alice@example.com        # an agent
      - assign: {to: hardware, round_robin: false}   # the team only, nobody assigned
      - assign: none                     # unassign (team kept)
      - add_tag: [vip, escalated]
      - remove_tag: waiting
      - add_note: "Escalated automatically."   # internal, never shown to the customer
      - notify: {template: agent_new_ticket, to: [team, assignee, boss@example.com]}
      - reply: acknowledgment            # a template mailed to the customer
      - ask_satisfaction                 # the satisfaction survey, as [csat] says
      - pause_sla                        # actions without parameters are a bare name
      - resume_sla
      - link: {kind: related, ticket: 42}
      - resolve_linked: {kind: duplicated_by, template: duplicate_resolved}
      - merge: duplicate_of              # into the ticket it duplicates, as `#merge N`
      - merge: {ticket: 42, status: resolved}
      - set_request_type: hardware
      - set_customer_language: de
      - answer_with_article: vpn-access  # the kb/ article's text mailed to the customer,
                                         # instead of the event's `reply` (acknowledgment)
      - answer_with_article: {article: vpn-access, status: waiting_for_customer}
      - answer_with_article: {status: resolved}   # the best match (with kb_match)

Status, priority, assignment, tags, notes, SLA pause/resume, links, request type
and language are *auditor* actions: they change the ticket inside the same
transaction as the event. `notify` and `reply` are *reactor* actions: they
become outgoing mail. An auditor action that would set a value the ticket
already has changes nothing and triggers no further rules.
Recipients of `notify`: requester, participants, assignee, team (its agents)
or an address; the effect also carries the ticket's team and assignee at that
moment so the mail goes where the ticket was when the rule fired. A `notify`
on `sla.warning` waits for each recipient's business hours
(`postdesk.sla.notify_hours`); `anytime: true` sends it at once, and
`anytime: false` makes any other notification (a breach) wait too:

      - notify: {template: sla_warning, to: assignee, anytime: true}
`send_queue_digest` (a queue mailed to agents on a schedule) is about the desk,
not a ticket: see `postdesk.automation.digest_action`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from postdesk.automation import params as P
from postdesk.automation.model import TicketFacts
from postdesk.automation.registry import ActionDef, ActionOutcome, Param, Registry, Workspace

ACTIONS: Registry[ActionDef] = Registry("action")
Apply = Callable[[Mapping[str, Any], TicketFacts, Workspace], ActionOutcome]


def _action(name: str, params: tuple[Param, ...], auditor: bool, apply: Apply,
            doc: str, shorthand: str | None = None) -> None:
    ACTIONS.register(ActionDef(name, params, auditor, apply, shorthand=shorthand, doc=doc))


def _setter(name: str, field: str, kind: P.ParamType, doc: str) -> None:
    """`name: value` that sets one field of the ticket; no change when already equal."""

    def apply(p: Mapping[str, Any], t: TicketFacts, w: Workspace) -> ActionOutcome:
        old, new = getattr(t, field), p[field]
        if old == new:
            return t, None
        return replace(t, **{field: new}), {field: new, "old": old}

    _action(name, (Param(field, kind),), True, apply, doc, shorthand=field)


_setter("set_priority", "priority", P.PRIORITY_ONE, "Set the priority.")
_setter("set_request_type", "request_type", P.REQUEST_TYPE_ONE, "Set the request type.")
_setter("set_customer_language", "requester_language", P.LANGUAGE,
        "Set the language the customer is written to in.")


def _set_status(p: Mapping[str, Any], t: TicketFacts, w: Workspace) -> ActionOutcome:
    if t.status == p["status"]:
        return t, None
    return (replace(t, status=p["status"], status_changed_at=w.now),
            {"status": p["status"], "old": t.status})


_action("set_status", (Param("status", P.STATUS_ONE),), True, _set_status,
        "Set the status (the names in rules/statuses.yaml).", shorthand="status")


def _next_agent(team: str, w: Workspace) -> str | None:
    """Round-robin: the agent after the team's last assigned one, in the team's order."""
    agents = w.context.teams.get(team, ())
    if not agents:
        return None
    last = w.last_assigned.get(team)
    position = agents.index(last) + 1 if last in agents else 0
    return agents[position % len(agents)]


def _assign(p: Mapping[str, Any], t: TicketFacts, w: Workspace) -> ActionOutcome:
    target: str | None = p["to"]
    team, assignee, rotated = t.team, None, False
    if target is not None and "@" in target:
        assignee = target
    elif target is not None:
        team = target
        if p["round_robin"]:
            assignee = _next_agent(team, w)
            rotated = assignee is not None
    if (team, assignee) == (t.team, t.assignee):
        return t, None
    if rotated and team is not None and assignee is not None:
        w.last_assigned[team] = assignee
    return (replace(t, team=team, assignee=assignee),
            {"team": team, "assignee": assignee, "old_team": t.team,
             "old_assignee": t.assignee})


_action("assign", (Param("to", P.ASSIGN_TARGET),
                   Param("round_robin", P.BOOL, required=False, default=True)),
        True, _assign, "Assign to an agent, to a team (round-robin) or to none.",
        shorthand="to")


def _add_tag(p: Mapping[str, Any], t: TicketFacts, w: Workspace) -> ActionOutcome:
    added = tuple(tag for tag in p["tags"] if tag not in t.tags)
    return (replace(t, tags=t.tags | set(added)), {"tags": added}) if added else (t, None)


def _remove_tag(p: Mapping[str, Any], t: TicketFacts, w: Workspace) -> ActionOutcome:
    gone = tuple(tag for tag in p["tags"] if tag in t.tags)
    return (replace(t, tags=t.tags - set(gone)), {"tags": gone}) if gone else (t, None)


_action("add_tag", (Param("tags", P.TAGS),), True, _add_tag, "Add tags.", shorthand="tags")
_action("remove_tag", (Param("tags", P.TAGS),), True, _remove_tag, "Remove tags.",
        shorthand="tags")
_action("add_note", (Param("text", P.TEXT),), True, lambda p, t, w: (t, dict(p)),
        "Add an internal note (agents only).", shorthand="text")


def _sla(paused: bool) -> Apply:
    def apply(p: Mapping[str, Any], t: TicketFacts, w: Workspace) -> ActionOutcome:
        return (t, None) if t.sla_paused is paused else (replace(t, sla_paused=paused), {})

    return apply


_action("pause_sla", (), True, _sla(True), "Pause the ticket's SLA clocks.")
_action("resume_sla", (), True, _sla(False), "Resume the ticket's SLA clocks.")


def _link(p: Mapping[str, Any], t: TicketFacts, w: Workspace) -> ActionOutcome:
    link = (p["kind"], p["ticket"])
    if p["ticket"] == t.id or link in t.links:
        return t, None
    return replace(t, links=(*t.links, link)), {"kind": p["kind"], "ticket": p["ticket"]}


_action("link", (Param("kind", P.LINK_KIND_ONE), Param("ticket", P.TICKET)), True, _link,
        "Link this ticket to another one.")


def _resolve_linked(p: Mapping[str, Any], t: TicketFacts, w: Workspace) -> ActionOutcome:
    others = tuple(other for kind, other in t.links if kind == p["kind"])
    if not others:
        return t, None
    return t, {"kind": p["kind"], "tickets": others, "status": p["status"],
               "template": p["template"]}


_action("resolve_linked", (
    Param("kind", P.LINK_KIND_ONE, required=False, default="duplicated_by"),
    Param("status", P.STATUS_ONE, required=False, default="resolved"),
    Param("template", P.TEMPLATE, required=False)),
    True, _resolve_linked,
    "Set the status of every ticket linked with `kind` (default: its duplicates) and, "
    "with `template`, mail that ticket's requester.", shorthand="kind")


def _merge(p: Mapping[str, Any], t: TicketFacts, w: Workspace) -> ActionOutcome:
    """Into `ticket`, else into the first ticket this one is linked to as `link`; the same
    effect as an agent's `#merge N` (the thread moves, this ticket stays as a pointer)."""
    into = p.get("ticket") or next((other for kind, other in t.links if kind == p["link"]),
                                   None)
    if into is None or into == t.id:
        return t, None
    return (replace(t, status=p["status"], status_changed_at=w.now),
            {"into": into, "status": p["status"]})


_action("merge", (
    Param("link", P.LINK_KIND_ONE, required=False, default="duplicate_of"),
    Param("ticket", P.TICKET, required=False),
    Param("status", P.STATUS_ONE, required=False, default="closed")),
    True, _merge,
    "Merge this ticket into `ticket`, or into the one it is linked to as `link` (default: "
    "the ticket it duplicates), as `#merge` does; it is left with `status`.",
    shorthand="link")


def _notify(p: Mapping[str, Any], t: TicketFacts, w: Workspace) -> ActionOutcome:
    effect = {"template": p["template"], "to": p["to"], "team": t.team, "assignee": t.assignee}
    if p.get("anytime") is not None:
        effect["anytime"] = p["anytime"]
    return t, effect


_action("notify", (Param("template", P.TEMPLATE), Param("to", P.RECIPIENTS),
                   Param("anytime", P.BOOL, required=False,
                         doc="true: send at once; false: wait for the recipient's business "
                             "hours (default: wait for sla.warning, send at once otherwise)")),
        False, _notify,
        "Mail a template to requester, participants, assignee, team or addresses.")
def _answer_with_article(p: Mapping[str, Any], t: TicketFacts, w: Workspace) -> ActionOutcome:
    status = p["status"]
    params = {"article": p["article"], "status": status, "old": t.status}
    if status is None or status == t.status:
        return t, params
    return replace(t, status=status, status_changed_at=w.now), params


_action("answer_with_article", (Param("article", P.ARTICLE, required=False),
                                Param("status", P.STATUS_ONE, required=False)), False,
        _answer_with_article,
        "Mail the customer a public kb/ article in their language (`article`, or the best "
        "match for the mail), stored in the thread; then set `status`, when given. A "
        "'solved' answer to it resolves the ticket as self-served. It is the customer's one "
        "mail for the event: the rules' `reply` mails (the acknowledgment) are folded into it.",
        shorthand="article")


_action("ask_satisfaction", (), False, lambda p, t, w: (t, {}),
        "Ask the customer for a satisfaction rating of this resolution, as [csat] says "
        "(delay, scale; not for self-served or auto-closed tickets unless configured).")


_action("reply", (Param("template", P.TEMPLATE),), False,
        lambda p, t, w: (t, {"template": p["template"], "to": (t.requester_email,)}),
        "Mail a template to the customer in the ticket's thread.", shorthand="template")
