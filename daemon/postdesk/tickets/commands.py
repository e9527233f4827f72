"""Agent commands: lines at the top of an agent's reply that change the ticket.

An agent answers a notification from any mail client and steers the ticket
with lines that start with ``#`` *before* the text of the reply:

    #status waiting_for_customer    internal status name (also: #status Waiting for customer)
    #resolve                        the same as #status resolved
    #priority high                  low, normal, high, urgent (the desk's priorities)
    #assign hardware                a team (also #assign team:hardware): its queue, nobody yet
    #assign agent.pl@example.com    an agent listed in rules/teams.yaml
    #assign me / #assign none       yourself / nobody
    #tag vip  #tag add vip  #tag remove vip  #untag vip   (several: #tag vip, printer)
    #link 123                       relate this ticket to ticket #123
    #duplicate 123                  this ticket duplicates #123 (also #duplicate-of 123)
    #language pl                    the customer's language (also #lang pl)
    #requesttype hardware           the request type (#requesttype none clears it)
    #note                           the whole reply is an internal note, never sent to the
                                    customer; text after #note on its line is part of it
    #silent                         apply the commands, send nothing to the customer
    #queue unassigned               mail me that queue (rules/queues.yaml) as a digest
    #queues                         mail me the list of queues with their counts

``#queue`` / ``#queues`` also work in a mail to the plain support address
that is not a reply to a ticket, from an agent authenticated by DKIM or a
trusted Authentication-Results header (see ``postdesk.tickets.agents``).

Command names and values are case-insensitive (``#Status Resolved``), may be
indented, may have a colon (``#status: resolved``) and trailing dots or spaces
that phones add; full-width ``＃`` from Asian keyboards works too (NFKC).

Why only at the top: ``#`` is common in ordinary text (``#1 check the cable``,
``ticket #123``), and the top of a reply is the one place that is new text in
every mail client. The command block ends at the first line that is not blank
and not a command; later lines, quoted history (``> #status resolved``) and
``#``-numbers are text. A known command further down is refused as
``command_not_at_top`` so it cannot reach the customer by accident.

If any line is wrong, *nothing* applies and nothing is sent: the caller mails
the agent ``command_error`` listing each problem (msgids are the keys of
``postdesk.notify.samples.COMMAND_PROBLEMS``). Parse the new text of the reply
(``mail.reply.extract_reply(...).new_text``), not the whole body.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace

from postdesk.tickets.statuses import StatusBook
from postdesk.tickets.teams import TeamBook

#: ``#`` then a command word (a letter first, so ``#1`` and ``#123`` stay text).
_COMMAND = re.compile(r"#\s*(?P<word>[^\W\d_][\w-]*)(?:\s*:\s*|\s+)?(?P<rest>.*)")
#: Zero-width and direction marks that mobile and RTL clients put in front of lines.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u200e\u200f\u2060\u00ad"))
#: The text after "#note" as written (not NFKC-folded), for "#note called the customer".
_NOTE_REST = re.compile(r"[#＃]\s*[^\s:：]+(?:\s*[:：]\s*|\s+)(?P<rest>.*)")
_TAG = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_TICKET = re.compile(r"#?([1-9][0-9]{0,11})")
_LANGUAGE = re.compile(r"([a-z]{2,3})(?:[-_]([a-z]{4}))?(?:[-_]([a-z]{2}|[0-9]{3}))?")
_NONE_WORDS = ("none", "nobody", "-")
#: Commands that set one thing: a second line with another value is a contradiction.
_SLOTS = {"status": "status", "priority": "priority", "assign_agent": "assignee",
          "assign_team": "assignee", "unassign": "assignee", "language": "language",
          "request_type": "request_type", "duplicate_of": "duplicate_of"}


@dataclass(frozen=True)
class Command:
    """One change: ``name`` is status, priority, assign_agent, assign_team, unassign,
    tag_add, tag_remove, link, duplicate_of, language, request_type or queue (a digest
    to mail the agent; value "" for the list of queues); ``value`` is canonical (the
    desk's spelling, a lower-cased address, a ticket number as text)."""

    name: str
    value: str
    line: int
    text: str = ""


@dataclass(frozen=True)
class Problem:
    """Why one line cannot be applied: a COMMAND_PROBLEMS key and its %(name)s params."""

    line: int
    text: str
    problem_msgid: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedReply:
    """The reply split into commands and text; see the module docstring for the rules."""

    commands: tuple[Command, ...]
    problems: tuple[Problem, ...]
    text: str
    internal: bool = False
    silent: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def public_text(self) -> str:
        """What the customer may receive: empty for a note, #silent or any problem."""
        return self.text if self.ok and not self.internal and not self.silent else ""

    @property
    def note_text(self) -> str:
        """The text to store as an internal note (#note, or text sent with #silent)."""
        return self.text if self.ok and (self.internal or self.silent) else ""


@dataclass(frozen=True)
class _Vocabulary:
    """What values the desk knows; None accepts any well-formed name."""

    statuses: StatusBook
    priorities: tuple[str, ...]
    teams: TeamBook
    request_types: tuple[str, ...] | None
    languages: tuple[str, ...] | None
    sender: str | None
    queues: tuple[str, ...] | None = None


@dataclass(frozen=True)
class _Refusal:
    msgid: str
    params: Mapping[str, str] = field(default_factory=dict)


_Outcome = tuple[Command, ...] | _Refusal
_FLAGS = ("note", "silent")


def parse_commands(text: str, *, statuses: StatusBook, priorities: Collection[str],
                   teams: TeamBook, request_types: Collection[str] | None,
                   languages: Collection[str] | None = None,
                   sender: str | None = None,
                   queues: Collection[str] | None = None) -> ParsedReply:
    """Split an agent's reply into commands, problems and the remaining text.

    ``request_types`` / ``languages`` / ``queues`` None accept any well-formed name;
    ``sender`` is the authenticated agent's address (for ``#assign me``).
    """
    vocabulary = _Vocabulary(statuses, tuple(priorities), teams,
                             None if request_types is None else tuple(request_types),
                             None if languages is None else tuple(languages), sender,
                             None if queues is None else tuple(queues))
    lines = text.splitlines()
    commands: list[Command] = []
    problems: list[Problem] = []
    flags: set[str] = set()
    body_start = len(lines)
    for index, raw in enumerate(lines):
        cleaned = clean_line(raw)
        if not cleaned:
            continue
        match = _COMMAND.fullmatch(cleaned)
        if match is None:
            body_start = index
            break
        word, rest = _key(match["word"]), _trim(match["rest"] or "")
        number, source = index + 1, raw.translate(_INVISIBLE).strip()
        if word in _FLAGS:
            flags.add(word)
            if word == "note" and rest:  # "#note called them": the line's rest is note text
                as_written = _NOTE_REST.fullmatch(raw.translate(_INVISIBLE).strip())
                lines[index] = as_written["rest"] if as_written else rest
                body_start = index
                break
            if word == "silent" and rest:
                problems.append(Problem(number, source, "unexpected_value", {"value": rest}))
            continue
        handler = _HANDLERS.get(word)
        outcome = (_Refusal("unknown_command", {"command": f"#{match['word']}"})
                   if handler is None else handler(rest, vocabulary))
        if isinstance(outcome, _Refusal):
            problems.append(Problem(number, source, outcome.msgid, dict(outcome.params)))
            continue
        for command in outcome:
            _add(replace(command, line=number, text=source), commands, problems)
    body = lines[body_start:]
    problems.extend(_stray_commands(body, body_start))
    problems.sort(key=lambda p: p.line)
    return ParsedReply(tuple(commands), tuple(problems), "\n".join(body).strip("\n"),
                       internal="note" in flags, silent="silent" in flags)


def clean_line(line: str) -> str:
    """A line as compared: NFKC (full-width ``＃`` -> ``#``), no invisible marks, stripped."""
    return unicodedata.normalize("NFKC", line.translate(_INVISIBLE)).strip()


def referenced_tickets(parsed: ParsedReply) -> frozenset[int]:
    """Ticket numbers that #link and #duplicate name (the caller checks they exist)."""
    return frozenset(int(c.value) for c in parsed.commands if c.name in ("link", "duplicate_of"))


def check_ticket_references(parsed: ParsedReply, *, ticket_id: int,
                            existing: Collection[int]) -> ParsedReply:
    """Add unknown_ticket / same_ticket problems for links to missing tickets or to itself."""
    found = [Problem(c.line, c.text, "same_ticket" if int(c.value) == ticket_id
                     else "unknown_ticket", {"value": c.value})
             for c in parsed.commands if c.name in ("link", "duplicate_of")
             and (int(c.value) == ticket_id or int(c.value) not in existing)]
    if not found:
        return parsed
    problems = sorted((*parsed.problems, *found), key=lambda p: p.line)
    return replace(parsed, problems=tuple(problems))


# --- one parser per command -------------------------------------------------------------

def _one(name: str, value: str) -> tuple[Command, ...]:
    return (Command(name, value, 0),)


def _pick(written: str, known: Collection[str]) -> str | None:
    """The desk's spelling of a name, compared case-insensitively."""
    return next((k for k in known if k.casefold() == written.casefold()), None)


def _listing(known: Collection[str]) -> str:
    return ", ".join(known) or "-"


def _status(rest: str, v: _Vocabulary) -> _Outcome:
    if not rest:
        return _Refusal("missing_value")
    words = rest.split()
    for candidate in ("_".join(words), "-".join(words), "".join(words)):
        found = _pick(candidate, v.statuses.names)
        if found is not None:
            return _one("status", found)
    return _Refusal("unknown_status", {"value": rest, "known": _listing(v.statuses.names)})


def _resolve(rest: str, v: _Vocabulary) -> _Outcome:
    if rest:
        return _Refusal("unexpected_value", {"value": rest})
    closed = v.statuses.names_of_kind("closed")
    found = _pick("resolved", v.statuses.names) or (closed[0] if closed else None)
    if found is None:
        return _Refusal("unknown_status", {"value": "resolved",
                                           "known": _listing(v.statuses.names)})
    return _one("status", found)


def _priority(rest: str, v: _Vocabulary) -> _Outcome:
    if not rest:
        return _Refusal("missing_value")
    found = _pick(rest, v.priorities)
    if found is None:
        return _Refusal("unknown_priority", {"value": rest, "known": _listing(v.priorities)})
    return _one("priority", found)


def _assign(rest: str, v: _Vocabulary) -> _Outcome:
    if not rest:
        return _Refusal("missing_value")
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
    return _Refusal("unknown_assignee", {"value": rest})


def _tags(rest: str, *, remove: bool) -> _Outcome:
    words = [w.lstrip("#").casefold() for w in re.split(r"[\s,]+", rest) if w.lstrip("#")]
    if not remove and words and words[0] in ("add", "+"):
        words = words[1:]
    elif not remove and words and words[0] in ("remove", "rm", "del", "delete", "-"):
        words, remove = words[1:], True
    if not words:
        return _Refusal("missing_value")
    bad = next((w for w in words if not _TAG.fullmatch(w)), None)
    if bad is not None:
        return _Refusal("invalid_tag", {"value": bad})
    name = "tag_remove" if remove else "tag_add"
    return tuple(Command(name, w, 0) for w in dict.fromkeys(words))


def _tickets(rest: str, name: str, *, many: bool) -> _Outcome:
    words = [w for w in re.split(r"[\s,]+", rest) if w]
    if not words:
        return _Refusal("missing_value")
    matches = [_TICKET.fullmatch(w) for w in words]
    bad = next((w for w, m in zip(words, matches, strict=True) if m is None), None)
    if bad is not None or (len(words) > 1 and not many):
        return _Refusal("unknown_ticket", {"value": bad or rest})
    return tuple(Command(name, m[1], 0) for m in matches if m is not None)


def _language(rest: str, v: _Vocabulary) -> _Outcome:
    if not rest:
        return _Refusal("missing_value")
    match = _LANGUAGE.fullmatch(rest.casefold())
    if match is None:
        return _Refusal("invalid_language", {"value": rest})
    language, script, region = match.groups()
    tag = "_".join(p for p in (language, (script or "").title(), (region or "").upper()) if p)
    if v.languages is None:
        return _one("language", tag)
    found = _pick(tag, v.languages) or _pick(language, v.languages)
    if found is None:
        return _Refusal("unknown_language", {"value": rest, "known": _listing(v.languages)})
    return _one("language", found)


def _request_type(rest: str, v: _Vocabulary) -> _Outcome:
    if not rest:
        return _Refusal("missing_value")
    if rest.casefold() in _NONE_WORDS:
        return _one("request_type", "")
    found = _pick(rest, v.request_types) if v.request_types is not None else (
        rest if _NAME.fullmatch(rest) else None)
    if found is None:
        return _Refusal("unknown_request_type",
                        {"value": rest, "known": _listing(v.request_types or ())})
    return _one("request_type", found)


def _queue(rest: str, v: _Vocabulary) -> _Outcome:
    """``#queue NAME``: that queue's digest; ``#queue`` alone: the list of queues."""
    if not rest:
        return _one("queue", "")
    found = _pick(rest, v.queues) if v.queues is not None else (
        rest.casefold() if _NAME.fullmatch(rest) else None)
    if found is None:
        return _Refusal("unknown_queue", {"value": rest, "known": _listing(v.queues or ())})
    return _one("queue", found)


def _queues(rest: str, v: _Vocabulary) -> _Outcome:
    return _Refusal("unexpected_value", {"value": rest}) if rest else _one("queue", "")


_Handler = Callable[[str, _Vocabulary], _Outcome]
_HANDLERS: dict[str, _Handler] = {
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
}


# --- helpers ----------------------------------------------------------------------------

def _key(word: str) -> str:
    """Command names ignore case, '-' and '_': #Duplicate-Of, #request_type."""
    return word.casefold().replace("-", "").replace("_", "")


def _trim(rest: str) -> str:
    """A value without the spaces and end punctuation phones and habits add."""
    return rest.strip().rstrip(".,;!").strip()


def _add(command: Command, commands: list[Command], problems: list[Problem]) -> None:
    """Keep a command unless it repeats one (dropped) or contradicts one (a problem)."""
    slot = _SLOTS.get(command.name)
    for earlier in commands:
        if earlier.name == command.name and earlier.value == command.value:
            return
        same_slot = slot is not None and _SLOTS.get(earlier.name) == slot
        same_tag = (command.name.startswith("tag_") and earlier.name.startswith("tag_")
                    and earlier.value == command.value)
        if same_slot or same_tag:
            problems.append(Problem(command.line, command.text, "conflicting_command",
                                    {"first": earlier.text}))
            return
    commands.append(command)


def _stray_commands(body: list[str], offset: int) -> list[Problem]:
    """Known commands below the text: refused so that they never reach the customer."""
    stray = []
    for index, raw in enumerate(body):
        match = _COMMAND.fullmatch(clean_line(raw))
        if match and (_key(match["word"]) in _HANDLERS or _key(match["word"]) in _FLAGS):
            stray.append(Problem(offset + index + 1, raw.translate(_INVISIBLE).strip(),
                                 "command_not_at_top",
                                 {"command": f"#{match['word'].casefold()}"}))
    return stray
