"""What `postdesk check` verifies beyond the config file, as a registry of checks.

A check is a function ``(settings) -> CheckResult`` registered under a family
name; `run_checks` runs them in registration order and turns an unexpected
exception into an error, so one broken check never hides the others. Other
parts of Postdesk add theirs with ``@register_check("sla")``: the command
that runs the checks imports the modules that hold them (the CLI's checks of
``rules/`` are in `postdesk.cli.check_rules`); notify's own modules are listed
in `CHECK_MODULES` (imported on first use).

Shipped here: ``statuses`` (``rules/statuses.yaml``, and public names without
a translation) and ``templates``: every mail in every language the desk
ships, rendered against sample data with StrictUndefined, plus a syntax check
of every ``.j2`` file. Errors read ``templates/email/agent_reply.html.j2:12:
'ticket' has no attribute 'sujbect'``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from jinja2 import Environment, TemplateSyntaxError, UndefinedError

from postdesk.config.settings import Settings
from postdesk.errors import PostdeskError
from postdesk.notify.i18n import Catalogs
from postdesk.notify.render import (
    Renderer,
    TemplateMissing,
    default_locale_dir,
    default_template_dir,
)
from postdesk.notify.samples import SAMPLES, sample_context
from postdesk.tickets.statuses import load_statuses

PARTS: tuple[str, ...] = ("subject", "txt", "html")
#: Modules of notify whose import registers more checks, run after those registered so far.
CHECK_MODULES: list[str] = ["postdesk.notify.branding_check"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one family of checks: one ok line, or the errors found."""

    family: str
    summary: str
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: Not checked because a file it needs is broken (that file's check reports it).
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


CheckFunction = Callable[[Settings], CheckResult]
_CHECKS: dict[str, CheckFunction] = {}


def register_check(family: str) -> Callable[[CheckFunction], CheckFunction]:
    """Add a check under a unique family name (a duplicate is a programming error)."""

    def decorate(function: CheckFunction) -> CheckFunction:
        if family in _CHECKS:
            raise ValueError(f"a check named {family!r} is already registered")
        _CHECKS[family] = function
        return function

    return decorate


def run_checks(settings: Settings) -> list[CheckResult]:
    """Run every registered check; a crashing check becomes an error result."""
    for module in CHECK_MODULES:
        importlib.import_module(module)
    results: list[CheckResult] = []
    for family, function in list(_CHECKS.items()):
        try:
            results.append(function(settings))
        except PostdeskError as exc:
            results.append(CheckResult(family, "", errors=(str(exc),)))
        except Exception as exc:  # a bug in a check must not hide the other checks
            results.append(CheckResult(family, "", errors=(f"check crashed: {exc!r}",)))
    return results


def display_path(path: Path | str, settings: Settings) -> str:
    """A file as an admin finds it: relative to the desk, else inside the package."""
    resolved = Path(path).resolve()
    for base, prefix in ((settings.base_dir.resolve(), ""),
                         (default_template_dir().parent.parent.resolve(), "postdesk/")):
        if resolved.is_relative_to(base):
            return prefix + resolved.relative_to(base).as_posix()
    return str(path)


def _template_frame(traceback: TracebackType | None) -> tuple[str, int] | None:
    """The innermost template file and line of a rendering traceback (Jinja rewrites it)."""
    found: tuple[str, int] | None = None
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (filename, traceback.tb_lineno)
        traceback = traceback.tb_next
    return found


_NO_ATTRIBUTE = re.compile(r"^'[^']*' has no attribute '(?P<attr>[^']+)'$")


def _name_the_object(message: str, source_line: str) -> str:
    """``'dict object' has no attribute 'x'`` -> ``'ticket' has no attribute 'x'``."""
    match = _NO_ATTRIBUTE.match(message)
    if match is None:
        return message
    attr = re.escape(match["attr"])
    owner = re.search(rf"(\w+)\s*(?:\.\s*{attr}\b|\[\s*['\"]{attr}['\"])", source_line)
    return f"'{owner[1]}' has no attribute '{match['attr']}'" if owner else message


def describe_render_error(exc: BaseException, settings: Settings) -> str:
    """``file:line: what is wrong`` for an exception raised while rendering."""
    if isinstance(exc, TemplateSyntaxError):
        where = exc.filename or exc.name or "?"
        return f"{display_path(where, settings)}:{exc.lineno}: {exc.message}"
    if isinstance(exc, TemplateMissing):
        return str(exc)
    frame = _template_frame(exc.__traceback__)
    message = str(exc) if isinstance(exc, UndefinedError) else f"{type(exc).__name__}: {exc}"
    if frame is None:
        return message
    filename, line = frame
    try:
        source_line = Path(filename).read_text(encoding="utf-8").splitlines()[line - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        source_line = ""
    return f"{display_path(filename, settings)}:{line}: {_name_the_object(message, source_line)}"


def renderer_for(settings: Settings) -> Renderer:
    """The renderer the sender uses for this desk (same folders, branding, languages)."""
    from postdesk.config.runtime import Runtime  # late: the runtime pulls in the domain

    return Runtime(settings).renderer


def template_files(template_dirs: Iterable[Path]) -> list[Path]:
    """Every ``*.j2`` under the template folders (per-language copies included)."""
    return sorted(p for d in template_dirs if d.is_dir() for p in d.rglob("*.j2"))


def mail_names(template_dirs: Iterable[Path]) -> set[str]:
    """Names of mails that have at least one part in some folder (layouts excluded)."""
    names: set[str] = set()
    for path in template_files(template_dirs):
        if path.parent.name != "email" or path.name.startswith("_"):
            continue
        stem = path.name.removesuffix(".j2")
        name, _, part = stem.rpartition(".")
        if part in PARTS and name:
            names.add(name)
    return names


def _syntax_errors(files: Iterable[Path], settings: Settings) -> list[str]:
    environment = Environment(extensions=["jinja2.ext.i18n"])
    errors: list[str] = []
    for path in files:
        try:
            environment.parse(path.read_text(encoding="utf-8"), path.name, str(path))
        except TemplateSyntaxError as exc:
            errors.append(f"{display_path(path, settings)}:{exc.lineno}: {exc.message}")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{display_path(path, settings)}: cannot read: {exc}")
    return errors


def _missing_parts(name: str, template_dirs: tuple[Path, ...], settings: Settings) -> list[str]:
    """Parts of mail `name` that exist in no folder (generic or per-language)."""
    missing = []
    for part in PARTS:
        relative = f"email/{name}.{part}.j2"
        present = any((d / relative).is_file() or any(d.glob(f"*/{relative}"))
                      for d in template_dirs)
        if not present:
            where = display_path(template_dirs[0] / relative, settings)
            missing.append(f"{where}: missing; every mail needs .subject.j2, .txt.j2 "
                           f"and .html.j2 (copy the shipped one and edit it)")
    return missing


@register_check("statuses")
def check_statuses(settings: Settings) -> CheckResult:
    """rules/statuses.yaml parses, and each public name is translated in every language."""
    book = load_statuses(settings.path(settings.paths.rules))
    catalogs = Catalogs([settings.path(settings.paths.locales), default_locale_dir()])
    warnings = []
    for language in catalogs.available_languages():
        if language == "en":
            continue
        translations = catalogs.translations([language])
        first = {s.public: s for s in reversed(book.statuses)}
        for public, status in first.items():
            own = dict(status.titles.texts)
            if language in own or language.split("_")[0] in own:
                continue  # the file names it in this language
            if translations.gettext(public) == public:
                where = status.where or book.source
                warnings.append(f"{where}: public name '{public}' has no {language} "
                                f"translation; add it to locales/{language}/LC_MESSAGES/"
                                f"messages.po")
    summary = (f"{book.source}: {len(book.names)} statuses, "
               f"{len(book.public_names)} names customers see")
    return CheckResult("statuses", summary, warnings=tuple(warnings))


@register_check("templates")
def check_templates(settings: Settings) -> CheckResult:
    """Every mail renders in every language; every template file parses."""
    renderer = renderer_for(settings)
    dirs = renderer.template_dirs
    errors = _syntax_errors(template_files(dirs), settings)
    languages = renderer.available_languages()
    names = sorted(set(SAMPLES) | mail_names(dirs))
    warnings = []
    rendered = 0
    found: dict[str, list[str]] = {}
    for name in names:
        missing = _missing_parts(name, dirs, settings)
        if missing:
            errors.extend(missing)
            continue
        if name not in SAMPLES:
            warnings.append(f"email/{name}: no sample data, so only its syntax was checked")
            continue
        for language in languages:
            try:
                renderer.render(name, sample_context(name), language=language,
                                timezone=settings.desk.timezone)
                rendered += 1
            except Exception as exc:
                found.setdefault(describe_render_error(exc, settings), []).append(language)
    for message, failing in found.items():
        scope = "" if len(failing) == len(languages) else f" (language {', '.join(failing)})"
        if message not in errors:
            errors.append(message + scope)
    summary = (f"templates: {len(names)} mails rendered in {', '.join(languages)} "
               f"({rendered} renders)")
    return CheckResult("templates", summary, tuple(errors), tuple(warnings))
