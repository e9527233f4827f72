"""Canned replies written as YAML: `templates/replies/NAME.yaml`, every language in one file.

    commands: ["status waiting_for_customer", "tag printer"]   # optional, as in .md
    text:
      en: |
        Hello {customer_name}, ...
      pl: |
        Dzień dobry {customer_name}, ...

The same reply as the `NAME.<lang>.md` files (`postdesk.tickets.canned`): the
same placeholders and commands, checked the same way by `postdesk check`,
errors as `templates/replies/NAME.yaml:LINE: ...`. Where both forms hold a
language of a reply, the `.md` file wins.
"""

from __future__ import annotations

from pathlib import Path

from postdesk.config.rulesfile import Node, load_yaml, parse_yaml
from postdesk.errors import RuleError
from postdesk.tickets.canned import CannedReply, check_placeholders, command_lines

_KEYS = ("commands", "text")
#: The language a broken file is listed under, so that `postdesk check` reads it and
#: reports its error (no customer's language is spelt so).
BROKEN = "?"


def yaml_languages(path: Path, display: str) -> tuple[str, ...]:
    """The languages the file has a text for; (BROKEN,) when it does not parse."""
    try:
        return tuple(_texts(load_yaml(path, display=display).root()))
    except RuleError:
        return (BROKEN,)


def parse_canned_yaml(name: str, language: str, text: str, display: str) -> CannedReply:
    """The reply in `language`; RuleError `file:line: ...` for what is wrong in the file."""
    root = parse_yaml(text, display).root()
    texts = _texts(root)
    commands = command_lines(root.as_mapping().get("commands"))
    for node in texts.values():  # the whole file is checked, whichever language
        body = node.as_str("the reply's text")
        first = node.doc.line(node.path) + (1 if "\n" in body.rstrip("\n") or
                                            body.endswith("\n") else 0)
        check_placeholders(body, display, first_line=first)
    if language not in texts:
        raise RuleError(f"{display}: no text in '{language}' (it has "
                        f"{', '.join(texts) or 'none'})")
    return CannedReply(name, language, texts[language].as_str().strip("\n"), commands, display)


def _texts(root: Node) -> dict[str, Node]:
    root.check_keys(_KEYS, required=("text",))
    texts = root.as_mapping("a mapping with text (and commands)")["text"]
    found = texts.as_mapping("a mapping of language to text, e.g. en: Hello {customer_name}")
    if not found:
        raise texts.error("text: give the reply in at least one language (en: ...)")
    for language, node in found.items():
        if not language.replace("_", "").isalpha() or not 2 <= len(language) <= 8:
            raise node.error(f"'{language}' is not a language like en, pl or pt_BR")
        node.as_str("the reply's text")
    return found
