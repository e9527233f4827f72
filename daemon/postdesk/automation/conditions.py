"""The conditions a rule's `if:` may use.

All conditions listed under `if:` must hold. Group with `any:` (a list of
alternatives, each itself a set of conditions) and `not:` (a set of conditions
that must not all hold); groups nest. Lists mean "one of".

    if:
      status: [new, triage]              # ticket status is one of these
      priority: urgent
      request_type: none                 # no request type yet
      team: [hardware, none]
      assignee: none                     # unassigned (or agent addresses)
      author_role: customer              # customer | agent | participant | system
      sender: boss@example.com           # the event's author address
      sender_domain: example.com         # also matches mail.example.com
      subject_contains: [urgent, asap]   # case-insensitive, any of them
      body_contains: invoice
      subject_matches: '^\\[alert\\]'    # regular expression, case-insensitive
      body_matches: 'order\\s+#\\d+'
      has_attachment: true
      says_solved: true                  # the customer's new text says it is solved
      customer_language: [de, pl]        # de also matches de_AT
      tags: vip                          # the ticket has one of these tags
      has_link: duplicated_by            # the ticket has a link of this kind
      possible_duplicate: true           # intake found an open ticket it may duplicate
      sla_paused: false
      business_hours: true               # `now` is inside the desk's business hours
      changed_from: waiting_for_customer # a *.changed event's old value
      changed_to: resolved               # a *.changed event's new value
      caused_by_rule: none               # the event came from that rule (none: not a rule)
      ticket_age: {more_than: 30d}       # see postdesk.automation.timeconditions
      csat_rating: {below: 3}            # a satisfaction.rated event's rating is 1 or 2
                                         # ({at_least: 4}; 1 = worst; faces: 1-3)
      kb_match: 60                       # the best public kb/ article for the subject and
                                         # text scores 60 % or more (1-100; default 50);
                                         # {min_score: 70, article: vpn-access}: and it is
                                         # that article
      any:
        - priority: urgent
        - tags: vip
      not:
        tags: no-autoclose
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from postdesk.automation import params as P
from postdesk.automation.model import Subject, TicketFacts
from postdesk.automation.registry import ConditionDef, Param, ParamType, Registry

CONDITIONS: Registry[ConditionDef] = Registry("condition", reserved=("any", "all", "not"))


def _listing(values: frozenset[Any]) -> str:
    return "[" + ", ".join(repr(P.NONE_WORD if v is None else v)
                           for v in sorted(values, key=lambda v: (v is not None, str(v)))) + "]"


def _shown(value: Any) -> str:
    return P.NONE_WORD if value is None else repr(value)


def _one_of(name: str, label: str, kind: ParamType, getter: Callable[[Subject], Any],
            doc: str, *, fold: bool = False) -> None:
    """Register `name: value-or-list`: holds when getter(subject) is one of the values."""

    def value(s: Subject) -> Any:
        found = getter(s)
        return found.casefold() if fold and found is not None else found

    def test(p: Mapping[str, Any], s: Subject) -> bool:
        return getter(s) in p["values"]

    def test_folded(p: Mapping[str, Any], s: Subject) -> bool:
        return value(s) in p["values"]

    def describe(p: Mapping[str, Any], s: Subject) -> tuple[str, str]:
        return f"{label} is {_shown(value(s))}", f"one of {_listing(p['values'])}"

    CONDITIONS.register(ConditionDef(name, (Param("values", kind),),
                                     test_folded if fold else test, describe,
                                     shorthand="values", doc=doc))


def _flag(name: str, label: str, getter: Callable[[Subject], bool], doc: str) -> None:
    def test(p: Mapping[str, Any], s: Subject) -> bool:
        return getter(s) is p["value"]

    def describe(p: Mapping[str, Any], s: Subject) -> tuple[str, str]:
        return f"{label} is {str(getter(s)).lower()}", str(p["value"]).lower()

    CONDITIONS.register(ConditionDef(name, (Param("value", P.BOOL),), test, describe,
                                     shorthand="value", doc=doc))


_one_of("status", "status", P.STATUSES, lambda s: s.ticket.status, "Ticket status.")
_one_of("priority", "priority", P.PRIORITIES, lambda s: s.ticket.priority, "Ticket priority.")
_one_of("request_type", "request type", P.REQUEST_TYPES, lambda s: s.ticket.request_type,
        "Ticket request type; none: not set.")
_one_of("team", "team", P.TEAMS, lambda s: s.ticket.team, "Ticket team; none: no team.")
_one_of("assignee", "assignee", P.ASSIGNEES, lambda s: s.ticket.assignee,
        "Assigned agent's address; none: unassigned.", fold=True)
_one_of("author_role", "author role", P.ROLES, lambda s: s.event.author_role,
        "Who caused the event: customer, agent, participant or system.")
_one_of("sender", "sender", P.ADDRESSES, lambda s: s.event.author_email,
        "The event author's address.", fold=True)
_one_of("changed_from", "old value", P.one_of(P.text, "a value", allow_none=True),
        lambda s: s.event.old, "For *.changed events: the value before the change.")
_one_of("changed_to", "new value", P.one_of(P.text, "a value", allow_none=True),
        lambda s: s.event.new, "For *.changed events: the value after the change.")
_one_of("caused_by_rule", "causing rule", P.one_of(P.text, "a rule name", allow_none=True),
        lambda s: s.event.caused_by_rule, "The rule whose change caused this event.")
_flag("has_attachment", "has attachment", lambda s: s.event.has_attachment,
      "The message has at least one attachment.")
_flag("says_solved", "says solved", lambda s: s.event.says_solved,
      "A customer's or participant's mail says, in its new text, that the problem is "
      "solved (\"works now\", \"rozwiązane\", \"gelöst\"; not after a negation).")
_flag("public", "public message", lambda s: s.event.public,
      "The message reaches the customer (an agent's #note or #silent one does not).")
_flag("sla_paused", "SLA paused", lambda s: s.ticket.sla_paused, "The SLA clock is paused.")
_flag("business_hours", "business hours", lambda s: s.context.is_business_hours(s.now),
      "`now` falls inside the desk's business hours.")


def _sender_domain(p: Mapping[str, Any], s: Subject) -> bool:
    author = (s.event.author_email or "").casefold()
    host = author.rpartition("@")[2]
    return any(host == d or host.endswith("." + d) for d in p["values"])


CONDITIONS.register(ConditionDef(
    "sender_domain", (Param("values", P.DOMAINS),), _sender_domain,
    lambda p, s: (f"sender is {_shown(s.event.author_email)}",
                  f"an address at one of {_listing(p['values'])}"),
    shorthand="values", doc="The author's domain or a subdomain of it."))


def _language_test(p: Mapping[str, Any], s: Subject) -> bool:
    spoken = s.ticket.requester_language
    if spoken is None:
        return None in p["values"]
    spoken = spoken.replace("-", "_").casefold()
    return any(v is not None and (spoken == v.casefold() or spoken.startswith(v.casefold() + "_"))
               for v in p["values"])


CONDITIONS.register(ConditionDef(
    "customer_language", (Param("values", P.LANGUAGES),), _language_test,
    lambda p, s: (f"customer language is {_shown(s.ticket.requester_language)}",
                  f"one of {_listing(p['values'])}"),
    shorthand="values", doc="The requester's language; none: unknown."))


def _tags_test(p: Mapping[str, Any], s: Subject) -> bool:
    return not p["values"].isdisjoint(s.ticket.tags)


CONDITIONS.register(ConditionDef(
    "tags", (Param("values", P.TAG_SET),), _tags_test,
    lambda p, s: (f"tags are {sorted(s.ticket.tags)}", f"one of {_listing(p['values'])}"),
    shorthand="values", doc="The ticket has at least one of these tags."))


def _link_kinds(ticket: TicketFacts) -> set[str]:
    return {kind for kind, _ in ticket.links}


_flag("possible_duplicate", "possible duplicate",
      lambda s: "possible_duplicate_of" in _link_kinds(s.ticket),
      "Intake linked the ticket to an open ticket it may duplicate ([duplicates]).")


CONDITIONS.register(ConditionDef(
    "has_link", (Param("values", P.LINK_KINDS_SET),),
    lambda p, s: not p["values"].isdisjoint(_link_kinds(s.ticket)),
    lambda p, s: (f"links are {sorted(_link_kinds(s.ticket))}",
                  f"one of {_listing(p['values'])}"),
    shorthand="values", doc="The ticket has a link of one of these kinds."))


def _excerpt(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _text_condition(name: str, label: str, getter: Callable[[Subject], str],
                    original: Callable[[Subject], str]) -> None:
    def contains(p: Mapping[str, Any], s: Subject) -> bool:
        text = getter(s)
        return any(word in text for word in p["values"])

    CONDITIONS.register(ConditionDef(
        f"{name}_contains",
        (Param("values", ParamType("a text or a list of them",
                                   lambda n, v: tuple(t.casefold() for t in P.texts(n, v)))),),
        contains,
        lambda p, s: (f"{label} is {_excerpt(original(s))}",
                      f"containing one of {list(p['values'])}"),
        shorthand="values", doc=f"The {label} contains one of the texts (any case)."))
    CONDITIONS.register(ConditionDef(
        f"{name}_matches", (Param("pattern", P.REGEX),),
        lambda p, s: p["pattern"].search(original(s)) is not None,
        lambda p, s: (f"{label} is {_excerpt(original(s))}",
                      f"matching /{p['pattern'].pattern}/"),
        shorthand="pattern", doc=f"The {label} matches the regular expression (any case)."))


_text_condition("subject", "subject", lambda s: s.subject_lower, lambda s: s.event.subject)
_text_condition("body", "body", lambda s: s.body_lower, lambda s: s.event.body)


def _kb_best(s: Subject) -> tuple[str, float] | None:
    found = s.context.kb_best(f"{s.event.subject}\n{s.event.body}", s.ticket.requester_language,
                              s.ticket.request_type)
    return found[0] if found else None


def _kb_match(p: Mapping[str, Any], s: Subject) -> bool:
    best = _kb_best(s)
    return (best is not None and best[1] * 100 >= p["min_score"]
            and (p["article"] is None or best[0] == p["article"]))


def _kb_describe(p: Mapping[str, Any], s: Subject) -> tuple[str, str]:
    best = _kb_best(s)
    found = "no article" if best is None else f"best article {best[0]!r} at {best[1]:.0%}"
    wanted = f"{p['article']!r} at " if p["article"] else "an article at "
    return found, f"{wanted}{p['min_score']}% or more"


CONDITIONS.register(ConditionDef(
    "kb_match", (Param("min_score", P.PERCENT, required=False, default=50),
                 Param("article", P.ARTICLE, required=False)),
    _kb_match, _kb_describe, shorthand="min_score",
    doc="The knowledge base's best public article for the subject and text, in the "
        "customer's language and among the articles that apply to the ticket's request "
        "type, scores at least min_score % (and is `article`, when given)."))


def _need_rating_bound(values: Mapping[str, Any], node: Any) -> None:
    if values["below"] is None and values["at_least"] is None:
        raise node.error(f"'{node.key}' needs below, at_least or both, e.g. {{below: 3}}")


def _rating_test(p: Mapping[str, Any], s: Subject) -> bool:
    rating = s.event.rating
    return rating is not None and (p["below"] is None or rating < p["below"]) and (
        p["at_least"] is None or rating >= p["at_least"])


def _rating_describe(p: Mapping[str, Any], s: Subject) -> tuple[str, str]:
    wanted = " and ".join(f"{word} {p[key]}" for key, word in
                          (("below", "below"), ("at_least", "at least")) if p[key] is not None)
    return f"rating is {_shown(s.event.rating)}", wanted


CONDITIONS.register(ConditionDef(
    "csat_rating", (Param("below", P.RATING, required=False),
                    Param("at_least", P.RATING, required=False)),
    _rating_test, _rating_describe, check=_need_rating_bound,
    doc="For satisfaction.rated events: the customer's rating (1 is the worst; 5 the best "
        "of 1-5, 3 of the faces) is below / at least the number."))
