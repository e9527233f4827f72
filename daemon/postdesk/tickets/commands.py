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
    #merge 123                      move this ticket's thread into #123; this one is closed
                                    and stays as a pointer (its mail threads into #123)
    #reopen                         back to in_progress
    #reply printer-restart          insert the canned reply templates/replies/NAME.<lang>.md
                                    in the customer's language, with its commands
    #kb password-reset              insert the knowledge-base article kb/…/ID in the
                                    customer's language (never an internal one)
    #language pl                    the customer's language (also #lang pl)
    #requesttype hardware           the request type (#requesttype none clears it)
    #note                           the whole reply is an internal note, never sent to the
                                    customer; text after #note on its line is part of it
    #silent                         apply the commands, send nothing to the customer
    #public                         in a reply to an internal-note notification (whose
                                    Reply-To is the agent's note address, so replies stay
                                    internal), or in a chat triage thread: send this reply
                                    to the customer after all; text after #public on its
                                    line is part of it (#public We ordered the part.)
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
``postdesk.tickets.command_problems.COMMAND_PROBLEMS``). Parse the new text of
the reply (``mail.reply.extract_reply(...).new_text``), not the whole body.

The commands that change the ticket stand for the same effects as the rules'
actions (``command_effects``: ``#status resolved`` is ``set_status: resolved``),
applied by the same code (``postdesk.tickets.effects``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from postdesk.automation import Effect
from postdesk.tickets.command_values import HANDLERS, Command, Refusal, Vocabulary
from postdesk.tickets.statuses import StatusBook
from postdesk.tickets.teams import TeamBook

#: ``#`` then a command word (a letter first, so ``#1`` and ``#123`` stay text).
_COMMAND = re.compile(r"#\s*(?P<word>[^\W\d_][\w-]*)(?:\s*:\s*|\s+)?(?P<rest>.*)")
#: Zero-width and direction marks that mobile and RTL clients put in front of lines.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u200e\u200f\u2060\u00ad"))
#: The text after "#note" as written (not NFKC-folded), for "#note called the customer".
_NOTE_REST = re.compile(r"[#＃]\s*[^\s:：]+(?:\s*[:：]\s*|\s+)(?P<rest>.*)")
#: Commands that set one thing: a second line with another value is a contradiction.
_SLOTS = {"status": "status", "priority": "priority", "assign_agent": "assignee",
          "assign_team": "assignee", "unassign": "assignee", "language": "language",
          "request_type": "request_type", "duplicate_of": "duplicate_of", "merge": "merge"}


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
    public: bool = False  # #public: a reply to the note address goes to the customer

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


_FLAGS = ("note", "silent", "public")
#: Commands whose value is another ticket's number.
_REFERENCING = ("link", "duplicate_of", "merge")
#: Second names of a command, left out of the list agents are shown.
_ALIASES = frozenset({"duplicateof", "lang"})
#: Every command an agent may write, for the command-error mail: from the registry, so a
#: new command is listed without anyone remembering to.
COMMAND_NAMES = tuple(f"#{name}" for name in (*HANDLERS, *_FLAGS) if name not in _ALIASES)


def parse_commands(text: str, *, statuses: StatusBook, priorities: Collection[str],
                   teams: TeamBook, request_types: Collection[str] | None,
                   languages: Collection[str] | None = None,
                   sender: str | None = None,
                   queues: Collection[str] | None = None) -> ParsedReply:
    """Split an agent's reply into commands, problems and the remaining text.

    ``request_types`` / ``languages`` / ``queues`` None accept any well-formed name;
    ``sender`` is the authenticated agent's address (for ``#assign me``).
    """
    vocabulary = Vocabulary(statuses, tuple(priorities), teams,
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
            # "#note called them", "#public We ordered it" (one line, as people write in
            # chat): the line's rest is the reply's first text
            if word in ("note", "public") and rest:
                as_written = _NOTE_REST.fullmatch(raw.translate(_INVISIBLE).strip())
                lines[index] = as_written["rest"] if as_written else rest
                body_start = index
                break
            if word == "silent" and rest:
                problems.append(Problem(number, source, "unexpected_value", {"value": rest}))
            continue
        handler = HANDLERS.get(word)
        outcome = (Refusal("unknown_command", {"command": f"#{match['word']}"})
                   if handler is None else handler(rest, vocabulary))
        if isinstance(outcome, Refusal):
            problems.append(Problem(number, source, outcome.msgid, dict(outcome.params)))
            continue
        for command in outcome:
            _add(replace(command, line=number, text=source), commands, problems)
    body = lines[body_start:]
    problems.extend(_stray_commands(body, body_start))
    problems.sort(key=lambda p: p.line)
    return ParsedReply(tuple(commands), tuple(problems), "\n".join(body).strip("\n"),
                       internal="note" in flags, silent="silent" in flags,
                       public="public" in flags)


def clean_line(line: str) -> str:
    """A line as compared: NFKC (full-width ``＃`` -> ``#``), no invisible marks, stripped."""
    return unicodedata.normalize("NFKC", line.translate(_INVISIBLE)).strip()


def referenced_tickets(parsed: ParsedReply) -> frozenset[int]:
    """Ticket numbers that #link, #duplicate and #merge name (the caller checks they exist)."""
    return frozenset(int(c.value) for c in parsed.commands if c.name in _REFERENCING)


def check_ticket_references(parsed: ParsedReply, *, ticket_id: int,
                            existing: Collection[int]) -> ParsedReply:
    """Add unknown_ticket / same_ticket problems for links to missing tickets or to itself."""
    found = [Problem(c.line, c.text, "same_ticket" if int(c.value) == ticket_id
                     else "unknown_ticket", {"value": c.value})
             for c in parsed.commands if c.name in _REFERENCING
             and (int(c.value) == ticket_id or int(c.value) not in existing)]
    if not found:
        return parsed
    problems = sorted((*parsed.problems, *found), key=lambda p: p.line)
    return replace(parsed, problems=tuple(problems))


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


def slot_of(command: Command) -> str | None:
    """What a command sets, when it sets one thing (status, assignee...): two commands of
    the same slot contradict each other."""
    return _SLOTS.get(command.name)


def _stray_commands(body: list[str], offset: int) -> list[Problem]:
    """Known commands below the text: refused so that they never reach the customer."""
    stray = []
    for index, raw in enumerate(body):
        match = _COMMAND.fullmatch(clean_line(raw))
        if match and (_key(match["word"]) in HANDLERS or _key(match["word"]) in _FLAGS):
            stray.append(Problem(offset + index + 1, raw.translate(_INVISIBLE).strip(),
                                 "command_not_at_top",
                                 {"command": f"#{match['word'].casefold()}"}))
    return stray


def _effect(action: str, **params: Any) -> Effect:
    return Effect(action, MappingProxyType(params), rule="", auditor=True)


def command_effects(command: Command) -> tuple[Effect, ...]:
    """The ticket changes a command stands for, in the rules' vocabulary; none for
    ``#queue`` (a digest for the agent, not a change)."""
    name, value = command.name, command.value
    match name:
        case "status":
            return (_effect("set_status", status=value),)
        case "priority":
            return (_effect("set_priority", priority=value),)
        case "assign_agent":
            return (_effect("assign", assignee=value),)
        case "assign_team":
            return (_effect("assign", team=value, assignee=None),)
        case "unassign":
            return (_effect("assign", assignee=None),)
        case "tag_add" | "tag_remove":
            return (_effect("add_tag" if name == "tag_add" else "remove_tag", tags=(value,)),)
        case "link":
            return (_effect("link", kind="related", ticket=int(value)),)
        case "duplicate_of":  # only linked: it is resolved with the original (issue 21),
            # by the shipped rule resolve-duplicates-with-original, which tells its customer
            return (_effect("link", kind="duplicate_of", ticket=int(value)),)
        case "merge":
            return (_effect("merge", into=int(value), status="closed"),)
        case "language":
            return (_effect("set_customer_language", requester_language=value),)
        case "request_type":
            return (_effect("set_request_type", request_type=value),)
    return ()
