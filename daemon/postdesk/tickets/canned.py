"""Canned replies: answers an agent inserts with `#reply NAME`, in the customer's language.

One file per reply and language, `templates/replies/NAME.<lang>.md` (the desk's
own folder first, then the ones Postdesk ships), plain text with placeholders
and, optionally, front matter with agent commands that apply with it, like a
macro:

    ---
    commands: ["status waiting_for_customer", "tag printer"]
    ---
    Hello {customer_name},

    please switch the printer off and on again and tell us whether the
    error is gone (ticket #{ticket_id}).

Or one YAML file per reply, `templates/replies/NAME.yaml`, with the text of each
language under `text` and the optional commands (`postdesk.tickets.canned_yaml`):

    commands: ["status waiting_for_customer", "tag printer"]
    text:
      en: |
        Hello {customer_name}, please switch the printer off and on again.
      pl: |
        Dzień dobry {customer_name}, prosimy wyłączyć i włączyć drukarkę.

Placeholders: {customer_name} (the requester's name, else their address),
{customer_email}, {ticket_id}, {ticket_subject}, {agent_name} (the agent who
sent `#reply`), {desk_name}; `{{` and `}}` write a brace. The language is
the customer's, else the desk's default, else English (the first that has a
file). The commands are the agent commands' words without `#`, checked by
`postdesk check` as the agent's own would be; an agent's own commands in the
same mail win a contradiction (`conflicting_command` is not raised for them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from postdesk.config.rulesfile import Node, parse_yaml
from postdesk.config.settings import Settings
from postdesk.config.shipped import shipped
from postdesk.errors import RuleError

REPLIES_FOLDER = "replies"
PLACEHOLDERS = ("customer_name", "customer_email", "ticket_id", "ticket_subject",
                "agent_name", "desk_name")
_FILE = re.compile(
    r"(?P<name>[a-z0-9][a-z0-9_-]{0,99})\.(?P<lang>[a-z]{2,3}(?:_[A-Za-z]{2,4})?)\.md")
YAML_FILE = re.compile(r"(?P<name>[a-z0-9][a-z0-9_-]{0,99})\.yaml")
_FIELD = re.compile(r"\{\{|\}\}|\{(?P<name>[^{}]*)\}|[{}]")


@dataclass(frozen=True)
class CannedReply:
    """One reply in one language: its text and the command lines that apply with it."""

    name: str
    language: str
    text: str
    commands: tuple[str, ...] = ()
    display: str = ""  # how errors name the file, e.g. templates/replies/x.en.md


def parse_canned(name: str, language: str, text: str, display: str) -> CannedReply:
    """Front matter (optional) and text; RuleError `file:line: ...` for a bad key, a command
    that is not text or a placeholder Postdesk does not know."""
    body = text
    commands: tuple[str, ...] = ()
    lines = text.splitlines(keepends=True)
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if end is None:
            raise RuleError(f"{display}:1: front matter opened with '---' is never closed")
        # a blank first line keeps YAML line numbers those of the file
        root = parse_yaml("\n" + "".join(lines[1:end]), display).root()
        if root.value is not None:
            root.check_keys(("commands",))
            commands = command_lines(root.as_mapping("a mapping with commands").get("commands"))
        body = "".join(lines[end + 1:])
    check_placeholders(text, display, first_line=1)
    return CannedReply(name, language, body.strip("\n"), commands, display)


def command_lines(listed: Node | None) -> tuple[str, ...]:
    """The `commands:` of a reply: agent commands' words, without `#`."""
    if listed is None or listed.value is None:
        return ()
    return tuple(item.as_str("an agent command like 'status resolved'").strip().lstrip("#")
                 for item in listed.as_list("a list of agent commands", allow_single=True))


def check_placeholders(text: str, display: str, *, first_line: int) -> None:
    """RuleError `file:line: unknown placeholder` (`first_line`: the file's line of the
    text's first line)."""
    for number, line in enumerate(text.splitlines(), start=first_line):
        for match in _FIELD.finditer(line):
            if match[0] in ("{", "}") or (match["name"] is not None
                                          and match["name"] not in PLACEHOLDERS):
                raise RuleError(f"{display}:{number}: unknown placeholder '{match[0]}'; known: "
                                + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
                                + " ('{{' and '}}' write a brace)")


def fill(reply: CannedReply, values: Mapping[str, str]) -> str:
    """The reply's text with its placeholders replaced (a missing value: empty)."""
    def one(match: re.Match[str]) -> str:
        if match["name"] is None:
            return match[0][0]
        return values.get(match["name"], "")

    return _FIELD.sub(one, reply.text)


def reply_files(folders: Iterable[tuple[Path, str]]) -> dict[tuple[str, str], tuple[Path, str]]:
    """(name, language) -> (file, how errors name it); the first folder that has a reply in
    a language wins (the desk's before the shipped ones). `folders`: (folder, display)."""
    found: dict[tuple[str, str], tuple[Path, str]] = {}
    for folder, display in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.md")):
            match = _FILE.fullmatch(path.name)
            if match is not None:
                found.setdefault((match["name"], match["lang"]),
                                 (path, f"{display}/{path.name}"))
        for path in sorted(folder.glob("*.yaml")):
            match = YAML_FILE.fullmatch(path.name)
            if match is not None:
                shown = f"{display}/{path.name}"
                for language in yaml_languages(path, shown):
                    found.setdefault((match["name"], language), (path, shown))
    return found


def load_reply(files: Mapping[tuple[str, str], tuple[Path, str]], name: str,
               languages: Iterable[str]) -> CannedReply | None:
    """Reply `name` in the first of `languages` it exists in (None: no such reply)."""
    for language in languages:
        found = files.get((name, language))
        if found is not None:
            path, display = found
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".yaml":
                return parse_canned_yaml(name, language, text, display)
            return parse_canned(name, language, text, display)
    return None


def reply_names(files: Mapping[tuple[str, str], tuple[Path, str]]) -> tuple[str, ...]:
    return tuple(sorted({name for name, _ in files}))


def unnamed_files(folders: Iterable[tuple[Path, str]]) -> list[str]:
    """Files in a replies folder named neither NAME.<lang>.md nor NAME.yaml (never used)."""
    return [f"{display}/{path.name}" for folder, display in folders if folder.is_dir()
            for path in sorted(folder.iterdir())
            if path.is_file() and not _FILE.fullmatch(path.name)
            and not YAML_FILE.fullmatch(path.name) and path.name != "README.md"]


def reply_folders(settings: Settings) -> list[tuple[Path, str]]:
    """Where a desk's canned replies are: its own `templates/replies/`, then the shipped."""
    own = settings.path(settings.paths.templates) / REPLIES_FOLDER
    return [(own, f"{settings.paths.templates.rstrip('/')}/{REPLIES_FOLDER}"),
            (shipped("templates") / REPLIES_FOLDER, f"(shipped) templates/{REPLIES_FOLDER}")]


# the YAML form reuses the checks above; imported last, as it imports them
from postdesk.tickets.canned_yaml import parse_canned_yaml, yaml_languages  # noqa: E402
