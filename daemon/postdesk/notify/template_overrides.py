"""The desk's own templates as a live file: every `.j2` under its `templates/` folder.

They are read and checked together (`parse_overrides`: each must parse as Jinja)
like the rules files (`postdesk.config.live`): an edit that does not parse is
refused, logged with file and line, and the last good set stays in force, across
restarts too. Mails render from that set (`OverridingLoader`), then from the
templates Postdesk ships. Only syntax is checked here; `postdesk check` renders
every mail in every language against sample data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import BaseLoader, Environment, TemplateNotFound, TemplateSyntaxError

from postdesk.errors import ConfigError


@dataclass(frozen=True)
class TemplateSet:
    """The desk's templates by their name inside its folder (`pl/email/welcome.txt.j2`)."""

    folder: Path
    sources: Mapping[str, str] = field(default_factory=dict)

    def has_language(self, language: str) -> bool:
        """Whether the desk has mails of its own written in `language`."""
        return any(name.startswith(f"{language}/email/") for name in self.sources)


def override_files(folder: Path) -> list[Path]:
    """The files of the live file: every `.j2` under the folder, in name order."""
    return sorted(folder.rglob("*.j2")) if folder.is_dir() else []


def parse_overrides(folder: Path, files: Iterable[tuple[str, str, str]]) -> TemplateSet:
    """(name in the folder, how errors name it, text) -> TemplateSet; a template that does
    not parse raises ConfigError `templates/email/x.html.j2:3: unexpected '}'`."""
    syntax = Environment(extensions=["jinja2.ext.i18n"])
    sources = {}
    for name, display, text in files:
        try:
            syntax.parse(text, name, display)
        except TemplateSyntaxError as exc:
            raise ConfigError(f"{display}:{exc.lineno}: {exc.message}") from None
        sources[name] = text
    return TemplateSet(folder, sources)


class OverridingLoader(BaseLoader):
    """Templates from the desk's set in force first (its language folders, then its root),
    then from `fallback`. A template stays cached while the set in force is the same."""

    def __init__(self, overrides: Callable[[], TemplateSet], prefixes: Sequence[str],
                 fallback: BaseLoader) -> None:
        self.overrides = overrides
        self.prefixes = tuple(prefixes)
        self.fallback = fallback

    def get_source(self, environment: Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        found = self.overrides()

        def same_set() -> bool:
            return self.overrides() is found

        for prefix in self.prefixes:
            name = f"{prefix}/{template}" if prefix else template
            source = found.sources.get(name)
            if source is not None:
                return source, str(found.folder / name), same_set
        try:
            source, filename, unchanged = self.fallback.get_source(environment, template)
        except TemplateNotFound:
            raise TemplateNotFound(template) from None
        return source, str(filename), lambda: same_set() and bool(unchanged and unchanged())
