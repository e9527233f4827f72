"""A setting's text in one or several languages (``[branding]`` footer, signature, ...).

In postdesk.toml a text is either one string, used in every language, or a
table of strings by language::

    footer = "Acme Support, 1 Main Street"
    signature = { en = "Your Acme Support team", pl = "Zespół wsparcia Acme",
                  de = "Ihr Acme-Support-Team" }

A mail takes the text of the first language of its locale chain that has one
(``pt_BR``, then ``pt``, then the desk's language, then ``en``), else any text
given, so a language nobody wrote a text for still gets one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from postdesk.config.rulesfile import Node

_LANGUAGE = re.compile(r"([a-zA-Z]{2,3})(?:[-_]([a-zA-Z]{2}|[0-9]{3}))?")


def language_key(code: str) -> str | None:
    """``pt-BR`` as ``pt_BR``, ``PL`` as ``pl``; None for what is no language code."""
    match = _LANGUAGE.fullmatch(code.strip())
    if match is None:
        return None
    base, region = match.groups()
    return base.lower() + (f"_{region.upper()}" if region else "")


@dataclass(frozen=True)
class LocalizedText:
    """One text, or one per language (see the module docstring)."""

    texts: tuple[tuple[str, str], ...] = ()  # (language or "" for every language, text)

    @classmethod
    def parse(cls, value: Any, what: str) -> LocalizedText:
        """From a string or a {language: string} table; `what` names the setting in errors."""
        if isinstance(value, LocalizedText):
            return value
        if isinstance(value, str):
            return cls((("", value),))
        if not isinstance(value, Mapping):
            raise ValueError(f"{what} must be a string or a table of strings by language "
                             f"like {{ en = \"...\", pl = \"...\" }}, not {value!r}")
        texts: list[tuple[str, str]] = []
        for language, text in value.items():
            key = language_key(str(language))
            if key is None:
                raise ValueError(f"{what}: {language!r} is not a language code; use e.g. "
                                 f"en, pl, de or pt-BR")
            if not isinstance(text, str):
                raise ValueError(f"{what}.{language} must be a string, not {text!r}")
            texts.append((key, text))
        return cls(tuple(texts))

    def __bool__(self) -> bool:
        return any(text for _, text in self.texts)

    def __str__(self) -> str:
        return self.in_language(())

    def in_language(self, chain: Iterable[str]) -> str:
        """The text for the first language of `chain` that has one (``pt_BR`` also tries
        ``pt``), then English, then the one for every language, then any."""
        by_language = dict(self.texts)
        for language in (*chain, "en"):
            for wanted in (language, language.split("_")[0]):
                if wanted in by_language:
                    return by_language[wanted]
        if "" in by_language:
            return by_language[""]
        return self.texts[0][1] if self.texts else ""


def titles_of(node: Node) -> LocalizedText:
    """A rules file's ``title:``: one text, or texts by language (``{en: ..., pl: ...}``);
    errors name the file and line."""
    if isinstance(node.value, str):
        return LocalizedText((("", node.value),))
    texts: list[tuple[str, str]] = []
    for language, child in node.as_mapping("a title, or titles by language like "
                                           "{en: ..., pl: ...}").items():
        key = language_key(str(language))
        if key is None:
            raise child.error(f"'{language}' is not a language code; write it like en, de "
                              f"or pt_BR")
        texts.append((key, child.as_str("a title")))
    return LocalizedText(tuple(texts))


#: No text in any language (the default of a text setting).
NO_TEXT = LocalizedText()
