"""Parameter types shared by conditions and actions: how each value is written.

* Lists mean "one of": `status: [new, triage]`; a single value is a list of one.
* `none` stands for "no value" where a field may be empty (team, assignee,
  request type, customer language).
* Durations are a number and a unit, combinable: `30m`, `4h`, `7d`, `1w`, `1d12h`.
* Regular expressions are Python syntax, matched case-insensitively anywhere
  in the text; quote them in YAML (`'\\border\\s+#\\d+'`).
* Addresses and tags are compared case-insensitively; languages as `pt`,
  `pt_BR` or `pt-BR` (a rule's `pt` also matches a customer's `pt_BR`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Any

from postdesk.automation.model import AUTHOR_ROLES, LINK_KINDS, Vocabulary
from postdesk.automation.registry import ParamType
from postdesk.config.rulesfile import Node, describe_value, suggest

NONE_WORD = "none"
RECIPIENT_ROLES = ("requester", "participants", "assignee", "team", "team_lead")
_DURATION = re.compile(r"(\d+)\s*([wdhms])")
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DOMAIN = re.compile(r"([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}")
_LANGUAGE = re.compile(r"([a-zA-Z]{2,3})(?:[_-]([a-zA-Z0-9]{2,8}))?")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _scalar(node: Node, what: str) -> str:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise node.error(f"expected {what}, not {describe_value(value)}")
    text = str(value).strip()
    if not text:
        raise node.error(f"expected {what}, not an empty text")
    return text


def _items(node: Node, what: str) -> list[Node]:
    items = node.as_list(allow_single=True)
    if not items:
        raise node.error(f"expected {what} or a list of them, not an empty list")
    return items


def text(node: Node, vocabulary: Vocabulary) -> str:
    return _scalar(node, "a text")


def texts(node: Node, vocabulary: Vocabulary) -> tuple[str, ...]:
    return tuple(_scalar(item, "a text") for item in _items(node, "a text"))


def boolean(node: Node, vocabulary: Vocabulary) -> bool:
    value = node.value
    if not isinstance(value, bool):
        raise node.error(f"expected true or false, not {describe_value(value)}")
    return value


def duration(node: Node, vocabulary: Vocabulary) -> timedelta:
    written = _scalar(node, "a duration like 7d, 4h or 30m").lower()
    parts = _DURATION.findall(written)
    if not parts or _DURATION.sub("", written).strip():
        raise node.error(f"'{written}' is not a duration; write it like 7d, 4h, 30m or 1d12h")
    seconds = sum(int(amount) * _UNITS[unit] for amount, unit in parts)
    if seconds <= 0:
        raise node.error("a duration must be longer than zero")
    return timedelta(seconds=seconds)


def regex(node: Node, vocabulary: Vocabulary) -> re.Pattern[str]:
    written = _scalar(node, "a regular expression")
    try:
        return re.compile(written, re.IGNORECASE)
    except re.error as error:
        raise node.error(f"invalid regular expression {written!r}: {error}") from None


def ticket_id(node: Node, vocabulary: Vocabulary) -> int:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise node.error(f"expected a ticket number, not {describe_value(value)}")
    return value


def template(node: Node, vocabulary: Vocabulary) -> str:
    name = _scalar(node, "a template name")
    if not _NAME.fullmatch(name):
        raise node.error(f"'{name}' is not a template name (letters, digits, _ . -), "
                         f"e.g. 'acknowledgment' for templates/email/acknowledgment.*.j2")
    return name


def language(node: Node, vocabulary: Vocabulary) -> str:
    written = _scalar(node, "a language like en, de or pt_BR")
    match = _LANGUAGE.fullmatch(written)
    if not match:
        raise node.error(f"'{written}' is not a language code; write it like en, de or pt_BR")
    lang, region = match.groups()
    return f"{lang.lower()}_{region.upper()}" if region else lang.lower()


def address(node: Node, vocabulary: Vocabulary) -> str:
    written = _scalar(node, "an email address").lower()
    if not _EMAIL.fullmatch(written):
        raise node.error(f"'{written}' is not an email address")
    return written


def domain(node: Node, vocabulary: Vocabulary) -> str:
    written = _scalar(node, "a domain like example.com").lower().lstrip("@")
    if not _DOMAIN.fullmatch(written):
        raise node.error(f"'{written}' is not a domain name like example.com")
    return written


def tag(node: Node, vocabulary: Vocabulary) -> str:
    written = _scalar(node, "a tag").lower()
    if not _NAME.fullmatch(written):
        raise node.error(f"'{written}' is not a tag (letters, digits, _ . -, no spaces)")
    return written


def choice(known: Callable[[Vocabulary], Collection[str] | None], what: str,
           ) -> Callable[[Node, Vocabulary], str]:
    """A parser accepting one of the names `known(vocabulary)` lists (None: any name)."""

    def parse(node: Node, vocabulary: Vocabulary) -> str:
        written = _scalar(node, what)
        names = known(vocabulary)
        if names is not None and written not in names:
            listing = ", ".join(sorted(names))
            raise node.error(f"unknown {what.removeprefix('a ').removeprefix('an ')} "
                             f"'{written}'{suggest(written, names)}; known: {listing}")
        return written

    return parse


def one_of(item: Callable[[Node, Vocabulary], Any], what: str, *, allow_none: bool = False,
           ) -> ParamType:
    """A list type: one or more items, optionally the word `none` (kept as None)."""

    def parse(node: Node, vocabulary: Vocabulary) -> frozenset[Any]:
        values: set[Any] = set()
        for child in _items(node, what):
            if allow_none and child.value == NONE_WORD:
                values.add(None)
            else:
                values.add(item(child, vocabulary))
        return frozenset(values)

    suffix = " (or none)" if allow_none else ""
    return ParamType(f"{what} or a list of them{suffix}", parse)


def _recipient(node: Node, vocabulary: Vocabulary) -> str:
    written = _scalar(node, "a recipient")
    if written in RECIPIENT_ROLES:
        return written
    if "@" in written:
        return address(node, vocabulary)
    raise node.error(f"unknown recipient '{written}'{suggest(written, RECIPIENT_ROLES)}; "
                     f"use {', '.join(RECIPIENT_ROLES)} or an email address")


def _recipients(node: Node, vocabulary: Vocabulary) -> tuple[str, ...]:
    found: list[str] = []
    for child in _items(node, "a recipient"):
        value = _recipient(child, vocabulary)
        if value not in found:
            found.append(value)
    return tuple(found)


def _assign_target(node: Node, vocabulary: Vocabulary) -> str | None:
    written = _scalar(node, "an agent address, a team or none")
    if written == NONE_WORD:
        return None
    if "@" in written:
        return address(node, vocabulary)
    return choice(lambda v: v.teams, "a team")(node, vocabulary)


STATUS = choice(lambda v: v.statuses, "a status")
PRIORITY = choice(lambda v: v.priorities, "a priority")
TEAM = choice(lambda v: v.teams, "a team")
REQUEST_TYPE = choice(lambda v: v.request_types, "a request type")
ROLE = choice(lambda v: AUTHOR_ROLES, "an author role")
LINK_KIND = choice(lambda v: LINK_KINDS, "a link kind")

def percent(node: Node, vocabulary: Vocabulary) -> int:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise node.error("expected a whole number from 1 to 100 (a percent), not "
                         f"{describe_value(value)}")
    return value


def rating(node: Node, vocabulary: Vocabulary) -> int:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 6:
        raise node.error("expected a rating, a whole number from 1 to 6 (1 is the worst; "
                         f"5 the best of 1-5, 3 of the faces), not {describe_value(value)}")
    return value


def article_id(node: Node, vocabulary: Vocabulary) -> str:
    value = _scalar(node, "a knowledge-base article id")
    if not _NAME.fullmatch(value):
        raise node.error(f"expected an article id like password-reset, not {value!r}")
    return value.casefold()


TEXT = ParamType("a text", text)
TEXTS = ParamType("a text or a list of them", texts)
BOOL = ParamType("true or false", boolean)
DURATION = ParamType("a duration like 7d, 4h or 30m", duration)
REGEX = ParamType("a regular expression", regex)
TICKET = ParamType("a ticket number", ticket_id)
TEMPLATE = ParamType("a template name", template)
LANGUAGE = ParamType("a language like en or pt_BR", language)
STATUS_ONE = ParamType("a status", STATUS)
PERCENT = ParamType("a percent from 1 to 100", percent)
RATING = ParamType("a rating from 1 to 6", rating)
ARTICLE = ParamType("a knowledge-base article id", article_id)
PRIORITY_ONE = ParamType("a priority", PRIORITY)
REQUEST_TYPE_ONE = ParamType("a request type", REQUEST_TYPE)
LINK_KIND_ONE = ParamType("a link kind (" + ", ".join(LINK_KINDS) + ")", LINK_KIND)
RECIPIENTS = ParamType("recipients: " + ", ".join(RECIPIENT_ROLES) + " or addresses",
                       _recipients)
ASSIGN_TARGET = ParamType("an agent address, a team or none", _assign_target)
TAGS = ParamType("a tag or a list of them", lambda n, v: tuple(sorted(one_of(tag, "a tag")
                                                                      .parse(n, v))))

STATUSES = one_of(STATUS, "a status")
PRIORITIES = one_of(PRIORITY, "a priority")
TEAMS = one_of(TEAM, "a team", allow_none=True)
REQUEST_TYPES = one_of(REQUEST_TYPE, "a request type", allow_none=True)
ROLES = one_of(ROLE, "an author role")
ADDRESSES = one_of(address, "an email address")
ASSIGNEES = one_of(address, "an agent address", allow_none=True)
DOMAINS = one_of(domain, "a domain")
LANGUAGES = one_of(language, "a language", allow_none=True)
TAG_SET = one_of(tag, "a tag")
LINK_KINDS_SET = one_of(LINK_KIND, "a link kind")
