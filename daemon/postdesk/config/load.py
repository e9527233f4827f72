"""postdesk.toml and the environment -> validated settings.

Every key has a fixed name and type; an unknown or mistyped key is an error
that names the file, the line and the key (with a suggestion when one is
close). Every key can be overridden by an environment variable
``POSTDESK_<SECTION>_<KEY>`` (``POSTDESK_SMTP_LISTEN=127.0.0.1:2600``); lists
are comma-separated there. An unknown ``POSTDESK_*`` variable is an error
naming it (a mistyped override would be ignored silently otherwise), and an
error about a value the environment set names the variable, not the file.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, get_type_hints

from postdesk.config.localized_text import LocalizedText
from postdesk.config.settings import (
    CHOICES,
    CONFIG_ENV,
    DEFAULT_CONFIG_NAME,
    SECTIONS,
    ImapSource,
    Settings,
)
from postdesk.config.validate import check_imap_source, validate
from postdesk.errors import ConfigError


def find_config(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The config file: --config, then $POSTDESK_CONFIG, then ./postdesk.toml."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.exists() else None


def load_settings(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read, validate and return the settings; raise ConfigError naming file and key."""
    environ = os.environ if environ is None else environ
    source = find_config(path)
    if source is None:
        raise ConfigError(
            "no configuration: pass --config FILE, set POSTDESK_CONFIG, or run "
            "'postdesk init DIR' and start from that folder"
        )
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read the configuration: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    settings = settings_from_mapping(data, source=source, text=text)
    settings = apply_environment(settings, environ)
    validate(settings)
    return settings


def settings_from_mapping(
    data: Mapping[str, Any], *, source: Path | None = None, text: str = ""
) -> Settings:
    where = str(source) if source else "<config>"
    sections: dict[str, Any] = {}
    base_dir = source.resolve().parent if source else Path.cwd()
    for name, value in data.items():
        if name == "imap":
            sections["imap"] = _imap_sources(value, where, text, base_dir)
            continue
        if name not in SECTIONS:
            raise ConfigError(
                f"{_at(where, text, name, None)}: unknown section [{name}]"
                f"{_suggest(name, SECTIONS)}"
            )
        if not isinstance(value, Mapping):
            raise ConfigError(f"{_at(where, text, name, None)}: [{name}] must be a table")
        sections[name] = _section(SECTIONS[name], name, value, where, text)
    return Settings(**sections, source=source, base_dir=base_dir)


def _section(cls: type, section: str, values: Mapping[str, Any], where: str, text: str) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        location = _at(where, text, section, key)
        if key not in known:
            raise ConfigError(
                f"{location}: unknown key '{key}' in [{section}]{_suggest(key, known)}"
            )
        kwargs[key] = _coerce(hints[key], value, f"{location}: [{section}] {key}")
        choices = CHOICES.get((section, key))
        if choices is not None and kwargs[key] not in choices:
            raise ConfigError(f"{location}: [{section}] {key} must be one of "
                              f"{', '.join(choices)}, not {value!r}{_suggest(value, choices)}")
    return cls(**kwargs)


def _imap_sources(value: Any, where: str, text: str, base_dir: Path) -> tuple[ImapSource, ...]:
    """The ``[[imap]]`` array of tables; each error names the file and line of that table."""
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ConfigError(f"{_at(where, text, 'imap', None)}: imap must be written as "
                          "[[imap]] tables, one per mailbox")
    sources = []
    hints = get_type_hints(ImapSource)
    known = {f.name for f in fields(ImapSource)}
    for index, table in enumerate(value):
        line = _find_array_line(text, "imap", index, None)
        located = f"{where}:{line}" if line else where
        kwargs: dict[str, Any] = {}
        for key, item in table.items():
            key_line = _find_array_line(text, "imap", index, key) or line
            at = f"{where}:{key_line}" if key_line else where
            if key not in known:
                raise ConfigError(f"{at}: unknown key '{key}' in [[imap]]{_suggest(key, known)}")
            kwargs[key] = _coerce(hints[key], item, f"{at}: [[imap]] {key}")
        source = ImapSource(**kwargs)
        if source.password_file:
            source = replace(source, password_file=str(base_dir / Path(source.password_file)
                                                       .expanduser()))
        sources.append((located, source))
    return tuple(check_imap_source(located, source) for located, source in sources)


def _coerce(kind: Any, value: Any, what: str) -> Any:
    if kind is bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        if not isinstance(value, bool):
            raise ConfigError(f"{what} must be true or false, not {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{what} must be a whole number, not {value!r}")
        return value
    if kind is LocalizedText:
        try:
            return LocalizedText.parse(value, what)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    if kind is str:
        if not isinstance(value, str):
            raise ConfigError(f"{what} must be a string, not {value!r}")
        return value
    # tuple[str, ...]
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{what} must be a list of strings, not {value!r}")
    return tuple(value)


#: Variables of the test suite and the benchmarks: the desk never reads them.
RESERVED_PREFIXES = ("POSTDESK_TEST_", "POSTDESK_BENCH_")


def environment_variables() -> tuple[str, ...]:
    """Every POSTDESK_* variable the desk reads: the config file and one per key."""
    return (CONFIG_ENV, *(f"POSTDESK_{section.upper()}_{f.name.upper()}"
                          for section, cls in SECTIONS.items() for f in fields(cls)))


def check_environment(environ: Mapping[str, str]) -> None:
    """A POSTDESK_* variable the desk does not know is a typo that would be silently
    ignored (POSTDESK_DATABSE_URL: the desk runs on SQLite): refuse it, naming it."""
    known = environment_variables()
    for variable in sorted(environ):
        if (variable.startswith("POSTDESK_") and variable not in known
                and not variable.startswith(RESERVED_PREFIXES)):
            raise ConfigError(f"${variable} is not a Postdesk setting{_suggest(variable, known)}"
                              f" (settings are POSTDESK_<SECTION>_<KEY>, e.g. "
                              f"POSTDESK_DATABASE_URL; unset it or fix its name)")


def apply_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """Override keys from POSTDESK_<SECTION>_<KEY> variables; an unknown POSTDESK_*
    variable is an error (`check_environment`)."""
    check_environment(environ)
    changed: dict[str, Any] = {}
    origins = list(settings.from_environment)
    for section, cls in SECTIONS.items():
        current = getattr(settings, section)
        hints = get_type_hints(cls)
        overrides: dict[str, Any] = {}
        for f in fields(cls):
            variable = f"POSTDESK_{section.upper()}_{f.name.upper()}"
            if variable not in environ:
                continue
            raw = environ[variable]
            origins.append((section, f.name, variable))
            if hints[f.name] is int:
                try:
                    overrides[f.name] = int(raw)
                except ValueError:
                    raise ConfigError(f"${variable} must be a whole number, not {raw!r}") from None
            else:
                overrides[f.name] = _coerce(hints[f.name], raw, f"${variable}")
            choices = CHOICES.get((section, f.name))
            if choices is not None and overrides[f.name] not in choices:
                raise ConfigError(f"${variable} ([{section}] {f.name}) must be one of "
                                  f"{', '.join(choices)}, not {raw!r}{_suggest(raw, choices)}")
        if overrides:
            changed[section] = replace(current, **overrides)
    if not changed:
        return settings
    return replace(settings, **changed, from_environment=tuple(origins))


def _suggest(word: str, known: Any) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _at(where: str, text: str, section: str, key: str | None) -> str:
    """file:line for a section header or a key inside it, when it can be found."""
    line = _find_line(text, section, key)
    return f"{where}:{line}" if line else where


def _find_array_line(text: str, section: str, index: int, key: str | None) -> int | None:
    """The line of the index-th [[section]] table, or of a key inside it."""
    count = -1
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if re.fullmatch(rf"\[\[\s*{re.escape(section)}\s*\]\]", stripped):
            count += 1
            inside = count == index
            if inside and key is None:
                return number
        elif stripped.startswith("["):
            inside = False
        elif inside and key is not None and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return None


def _find_line(text: str, section: str, key: str | None) -> int | None:
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([A-Za-z0-9_.-]+)\s*\]", stripped)
        if header:
            current = header.group(1)
            if key is None and current == section:
                return number
            continue
        if key is not None and current == section and re.match(
            rf"{re.escape(key)}\s*=", stripped
        ):
            return number
    return None
