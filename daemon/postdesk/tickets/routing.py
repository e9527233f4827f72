"""rules/routing.yaml: which request type and team a new ticket gets.

```yaml
request_types:
  - {name: general, title: {en: General, pl: Sprawy ogólne, de: Allgemeines},
     description: "Questions of any kind", icon: help}
  - {name: hardware, description: "Printers, laptops, screens", icon: printer}
  - {name: access, description: "Accounts and passwords", icon: key}
routes:                      # first match wins
  - {to: hardware@example.com, request_type: hardware, team: hardware}
  - {subject_contains: password, request_type: access, team: support}
  - {request_type: general, team: support}      # no condition: everything else
```

A route matches when every condition it names holds: `to` (one address or a
list: the support address the customer wrote to, whatever +detail it had),
`subject_contains` / `body_contains` (case-insensitive, one text or a list:
any of them) and `subject_regex`. It gives the ticket its `request_type`
(one of `request_types`) and `team` (one of rules/teams.yaml). A desk without
the file routes nothing: tickets start with no type and no team.

A request type's `title` is what mails call it: one text, or one per language
(``{en: Hardware, pl: Sprzęt, de: Hardware}``), chosen along the recipient's
locale chain; without a title mails show its name.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from postdesk.config.localized_text import NO_TEXT, LocalizedText, titles_of
from postdesk.config.rulesfile import Node, load_yaml, parse_yaml
from postdesk.mail.address import split_address

ROUTING_FILE = "routing.yaml"


@dataclass(frozen=True)
class RequestType:
    name: str
    description: str = ""
    icon: str = ""
    title: LocalizedText = NO_TEXT  # what mails call it, by language

    def titles(self) -> dict[str, str] | str:
        """The title as a mail's context keeps it (JSON): texts by language, or the name."""
        if not self.title:
            return self.name
        return {language or "en": text for language, text in self.title.texts}


@dataclass(frozen=True)
class Route:
    where: str
    to: frozenset[str] = frozenset()
    subject_contains: tuple[str, ...] = ()
    body_contains: tuple[str, ...] = ()
    subject_regex: re.Pattern[str] | None = None
    request_type: str | None = None
    team: str | None = None

    def matches(self, recipients: Collection[str], subject: str, body: str) -> bool:
        if self.to and not self.to & {_base(r) for r in recipients}:
            return False
        if self.subject_contains and not any(t in subject.casefold()
                                             for t in self.subject_contains):
            return False
        if self.body_contains and not any(t in body.casefold() for t in self.body_contains):
            return False
        return self.subject_regex is None or bool(self.subject_regex.search(subject))


@dataclass(frozen=True)
class Routing:
    request_types: tuple[RequestType, ...] = ()
    routes: tuple[Route, ...] = ()

    @property
    def request_type_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.request_types)

    def title_of(self, request_type: str | None) -> dict[str, str] | str | None:
        """A ticket's request type as mails name it (see `RequestType.titles`)."""
        if request_type is None:
            return None
        found = next((t for t in self.request_types if t.name == request_type), None)
        return found.titles() if found is not None else request_type

    def route(self, recipients: Sequence[str], subject: str, body: str) -> Route | None:
        return next((r for r in self.routes if r.matches(recipients, subject, body)), None)

    def route_chosen(self, request_type: str | None, recipients: Sequence[str], subject: str,
                     body: str) -> Route | None:
        """The route of a new ticket whose customer chose its request type (the ticket
        page): that type, with the team of the first route of that type, else the team
        the mail is routed to. An unknown or no type: routed as any mail."""
        routed = self.route(recipients, subject, body)
        if request_type is None or request_type not in self.request_type_names:
            return routed
        typed = next((r for r in self.routes if r.request_type == request_type), None)
        team = typed.team if typed is not None else (routed.team if routed else None)
        return Route(where="chosen on the ticket page", request_type=request_type, team=team)


NO_ROUTING = Routing()


def _base(address: str) -> str:
    local, _, domain = split_address(address)
    return f"{local}@{domain}"


def load_routing(rules_dir: Path, *, teams: Collection[str],
                 support_addresses: Collection[str]) -> Routing:
    path = rules_dir / ROUTING_FILE
    if not path.is_file():
        return NO_ROUTING
    document = load_yaml(path, display=f"{rules_dir.name}/{ROUTING_FILE}")
    return _routing(document.root(), teams, support_addresses)


def parse_routing(text: str, *, teams: Collection[str], support_addresses: Collection[str],
                  display: str = f"rules/{ROUTING_FILE}") -> Routing:
    return _routing(parse_yaml(text, display).root(), teams, support_addresses)


def _routing(root: Node, teams: Collection[str], support: Collection[str]) -> Routing:
    root.check_keys(("request_types", "routes"))
    top = root.as_mapping("a mapping with request_types and routes")
    types: list[RequestType] = []
    for item in top["request_types"].as_list("a list of request types") if "request_types" \
            in top else []:
        item.check_keys(("name", "title", "description", "icon"), required=("name",))
        fields = item.as_mapping()
        name = fields["name"].as_str("a request type name")
        if name in {t.name for t in types}:
            raise fields["name"].error(f"request type '{name}' is listed twice")
        description, icon = (fields[k].as_str() if k in fields else ""
                             for k in ("description", "icon"))
        types.append(RequestType(name, description, icon,
                                 titles_of(fields["title"]) if "title" in fields else NO_TEXT))
    names = {t.name for t in types}
    known_support = {a.lower() for a in support}
    routes = [_route(item, names, set(teams), known_support)
              for item in (top["routes"].as_list("a list of routes") if "routes" in top else [])]
    return Routing(tuple(types), tuple(routes))


def _texts(node: Node) -> tuple[str, ...]:
    return tuple(n.as_str("a text").casefold() for n in node.as_list(allow_single=True))


def _route(item: Node, request_types: set[str], teams: set[str], support: set[str]) -> Route:
    item.check_keys(("to", "subject_contains", "body_contains", "subject_regex",
                     "request_type", "team"))
    fields = item.as_mapping("a route")
    to = frozenset(n.as_str("an address").lower() for n in fields["to"].as_list(
        allow_single=True)) if "to" in fields else frozenset()
    for address in to:
        if address not in support:
            raise fields["to"].error(f"'{address}' is not one of the desk's addresses "
                                     f"([desk] addresses: {', '.join(sorted(support))})")
    pattern = None
    if "subject_regex" in fields:
        try:
            pattern = re.compile(fields["subject_regex"].as_str(), re.IGNORECASE)
        except re.error as exc:
            raise fields["subject_regex"].error(f"not a valid regular expression: {exc}"
                                                ) from None
    request_type = fields["request_type"].as_str() if "request_type" in fields else None
    if request_type is not None and request_type not in request_types:
        raise fields["request_type"].error(
            f"unknown request type '{request_type}'; known: {', '.join(sorted(request_types))}")
    team = fields["team"].as_str() if "team" in fields else None
    if team is not None and team not in teams:
        raise fields["team"].error(f"unknown team '{team}' (rules/teams.yaml has: "
                                   f"{', '.join(sorted(teams)) or 'none'})")
    return Route(
        where=item.where, to=to,
        subject_contains=_texts(fields["subject_contains"]) if "subject_contains" in fields
        else (),
        body_contains=_texts(fields["body_contains"]) if "body_contains" in fields else (),
        subject_regex=pattern, request_type=request_type, team=team)
