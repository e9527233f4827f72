"""One parser per agent command: its value checked against what the desk knows.

`commands.parse_commands` finds the command lines at the top of a reply and
hands each line's value to the parser of its command word (`HANDLERS`). A
parser returns the canonical commands the line stands for (the desk's
spelling of a status, a lower-cased address, a ticket number as text) or a
`Refusal`: a `command_problems.COMMAND_PROBLEMS` key and its parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from postdesk.tickets.statuses import REOPENED_STATUS, StatusBook
from postdesk.tickets.teams import TeamBook

_TAG = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_TICKET = re.compile(r"#?([1-9][0-9]{0,11})")
_LANGUAGE = re.compile(r"([a-z]{2,3})(?:[-_]([a-z]{4}))?(?:[-_]([a-z]{2}|[0-9]{3}))?")
_NONE_WORDS = ("none", "nobody", "-")


@dataclass(frozen=True)
class Command:
    """One change: ``name`` is status, priority, assign_agent, assign_team, unassign,
    tag_add, tag_remove, link, duplicate_of, merge, language, request_type, reply (a
    canned reply's name) or queue (a digest to mail the agent; value "" for the list of
    queues); ``value`` is canonical (the
    desk's spelling, a lower-cased address, a ticket number as text)."""

    name: str
    value: str
    line: int
    text: str = ""


@dataclass(frozen=True)
class Vocabulary:
    """What values the desk knows; None accepts any well-formed name."""

    statuses: StatusBook
    priorities: tuple[str, ...]
    teams: TeamBook
    request_types: tuple[str, ...] | None
    languages: tuple[str, ...] | None
    sender: str | None
    queues: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Refusal:
    msgid: str
    params: Mapping[str, str] = field(default_factory=dict)


Parsed = tuple[Command, ...] | Refusal


def _one(name: str, value: str) -> tuple[Command, ...]:
    return (Command(name, value, 0),)


def _pick(written: str, known: Collection[str]) -> str | None:
    """The desk's spelling of a name, compared case-insensitively."""
    return next((k for k in known if k.casefold() == written.casefold()), None)


def _listing(known: Collection[str]) -> str:
    return ", ".join(known) or "-"


def _status(rest: str, v: Vocabulary) -> Parsed:
    if not rest:
        return Refusal("missing_value")
    words = rest.split()
    for candidate in ("_".join(words), "-".join(words), "".join(words)):
        found = _pick(candidate, v.statuses.names)
        if found is not None:
            return _one("status", found)
    return Refusal("unknown_status", {"value": rest, "known": _listing(v.statuses.names)})


def _resolve(rest: str, v: Vocabulary) -> Parsed:
    if rest:
        return Refusal("unexpected_value", {"value": rest})
    closed = v.statuses.names_of_kind("closed")
    found = _pick("resolved", v.statuses.names) or (closed[0] if closed else None)
    if found is None:
        return Refusal("unknown_status", {"value": "resolved",
                                           "known": _listing(v.statuses.names)})
    return _one("status", found)


def _priority(rest: str, v: Vocabulary) -> Parsed:
    if not rest:
        return Refusal("missing_value")
    found = _pick(rest, v.priorities)
    if found is None:
        return Refusal("unknown_priority", {"value": rest, "known": _listing(v.priorities)})
    return _one("priority", found)


def _assign(rest: str, v: Vocabulary) -> Parsed:
    if not rest:
        return Refusal("missing_value")
    written = rest.casefold().removeprefix("mailto:").strip("<>")
    if written in _NONE_WORDS:
        return _one("unassign", "")
    if written == "me" and v.sender is not None:
        written = v.sender.casefold()
    if "@" in written:
        agent = v.teams.agent(written)
        if agent is not None:
            return _one("assign_agent", agent.email)
    else:
        team = v.teams.team(written.removeprefix("team:").strip())
        if team is not None:
            return _one("assign_team", team.name)
    return Refusal("unknown_assignee", {"value": rest})


def _tags(rest: str, *, remove: bool) -> Parsed:
    words = [w.lstrip("#").casefold() for w in re.split(r"[\s,]+", rest) if w.lstrip("#")]
    if not remove and words and words[0] in ("add", "+"):
        words = words[1:]
    elif not remove and words and words[0] in ("remove", "rm", "del", "delete", "-"):
        words, remove = words[1:], True
    if not words:
        return Refusal("missing_value")
    bad = next((w for w in words if not _TAG.fullmatch(w)), None)
    if bad is not None:
        return Refusal("invalid_tag", {"value": bad})
    name = "tag_remove" if remove else "tag_add"
    return tuple(Command(name, w, 0) for w in dict.fromkeys(words))


def _tickets(rest: str, name: str, *, many: bool) -> Parsed:
    words = [w for w in re.split(r"[\s,]+", rest) if w]
    if not words:
        return Refusal("missing_value")
    matches = [_TICKET.fullmatch(w) for w in words]
    bad = next((w for w, m in zip(words, matches, strict=True) if m is None), None)
    if bad is not None or (len(words) > 1 and not many):
        return Refusal("unknown_ticket", {"value": bad or rest})
    return tuple(Command(name, m[1], 0) for m in matches if m is not None)


def _language(rest: str, v: Vocabulary) -> Parsed:
    if not rest:
        return Refusal("missing_value")
    match = _LANGUAGE.fullmatch(rest.casefold())
    if match is None:
        return Refusal("invalid_language", {"value": rest})
    language, script, region = match.groups()
    tag = "_".join(p for p in (language, (script or "").title(), (region or "").upper()) if p)
    if v.languages is None:
        return _one("language", tag)
    found = _pick(tag, v.languages) or _pick(language, v.languages)
    if found is None:
        return Refusal("unknown_language", {"value": rest, "known": _listing(v.languages)})
    return _one("language", found)


def _request_type(rest: str, v: Vocabulary) -> Parsed:
    if not rest:
        return Refusal("missing_value")
    if rest.casefold() in _NONE_WORDS:
        return _one("request_type", "")
    found = _pick(rest, v.request_types) if v.request_types is not None else (
        rest if _NAME.fullmatch(rest) else None)
    if found is None:
        return Refusal("unknown_request_type",
                        {"value": rest, "known": _listing(v.request_types or ())})
    return _one("request_type", found)


def _reopen(rest: str, v: Vocabulary) -> Parsed:
    """``#reopen``: back to in_progress (or the desk's first open status)."""
    if rest:
        return Refusal("unexpected_value", {"value": rest})
    opened = v.statuses.names_of_kind("open")
    found = _pick(REOPENED_STATUS, v.statuses.names) or (opened[0] if opened else None)
    if found is None:
        return Refusal("unknown_status", {"value": REOPENED_STATUS,
                                           "known": _listing(v.statuses.names)})
    return _one("status", found)


def _canned_reply(rest: str, v: Vocabulary) -> Parsed:
    """``#reply NAME``: a canned reply (whether it exists is `canned_apply`'s to say)."""
    if not rest:
        return Refusal("missing_value")
    if not _NAME.fullmatch(rest):
        return Refusal("unknown_reply", {"value": rest, "known": "-"})
    return _one("reply", rest.casefold())


def _kb_article(rest: str, v: Vocabulary) -> Parsed:
    """``#kb ID``: a knowledge-base article (whether it exists is `canned_apply`'s to say)."""
    if not rest:
        return Refusal("missing_value")
    if not _NAME.fullmatch(rest):
        return Refusal("unknown_article", {"value": rest})
    return _one("kb", rest.casefold())


def _queue(rest: str, v: Vocabulary) -> Parsed:
    """``#queue NAME``: that queue's digest; ``#queue`` alone: the list of queues."""
    if not rest:
        return _one("queue", "")
    found = _pick(rest, v.queues) if v.queues is not None else (
        rest.casefold() if _NAME.fullmatch(rest) else None)
    if found is None:
        return Refusal("unknown_queue", {"value": rest, "known": _listing(v.queues or ())})
    return _one("queue", found)


def _queues(rest: str, v: Vocabulary) -> Parsed:
    return Refusal("unexpected_value", {"value": rest}) if rest else _one("queue", "")


Handler = Callable[[str, Vocabulary], Parsed]
HANDLERS: dict[str, Handler] = {
    "status": _status,
    "resolve": _resolve,
    "priority": _priority,
    "assign": _assign,
    "tag": lambda rest, v: _tags(rest, remove=False),
    "untag": lambda rest, v: _tags(rest, remove=True),
    "link": lambda rest, v: _tickets(rest, "link", many=True),
    "duplicate": lambda rest, v: _tickets(rest, "duplicate_of", many=False),
    "duplicateof": lambda rest, v: _tickets(rest, "duplicate_of", many=False),
    "language": _language,
    "lang": _language,
    "requesttype": _request_type,
    "queue": _queue,
    "queues": _queues,
    "reopen": _reopen,
    "reply": _canned_reply,
    "kb": _kb_article,
    "merge": lambda rest, v: _tickets(rest, "merge", many=False),
}
