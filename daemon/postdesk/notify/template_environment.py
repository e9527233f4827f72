"""The Jinja environment one language's mails are rendered in.

It renders what a stock Jinja environment with the i18n extension renders
(tests/unit/test_template_environment.py compares them), with less work per mail:

- Sentences are translated when a template is compiled
  (`postdesk.notify.template_translate`), and ``_``/``ngettext`` are plain
  functions (`postdesk.notify.template_gettext`).
- Jinja's template cache is an LRU that takes a lock and scans its queue on
  every lookup (five a mail, with the layouts); here it is a dict, bounded by
  the template files there are.

- Render contexts are plain dicts (they come from JSON), so nearly every
  ``{{ ticket.id }}`` is a key of a dict. Jinja tries the attribute first and
  falls back to the key after catching the AttributeError; `MailEnvironment`
  goes to the key directly when no dict attribute has that name, which gives
  the same value.
- With ``auto_reload`` Jinja asks the file system whether a template (and the
  layout it extends) changed on every render. `RecheckingLoader` asks at most
  once a second per template: an edited template is used from the first mail
  rendered a second after the edit, not from the very next one.
- A loaded template sees the environment's globals through a ``ChainMap``,
  which each render copies key by key in Python, twice. Here a template gets a
  plain dict of them, taken when it is loaded: the globals are all set when
  the environment is made (`mail_environment`) and never change afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from babel.support import NullTranslations
from jinja2 import BaseLoader, Environment, FileSystemLoader, StrictUndefined, Template, nodes

from postdesk.notify import template_gettext
from postdesk.notify.template_translate import SENTENCE_FILTER, fill_sentence, translate_sentences

#: Names `getattr` finds on every dict (methods, dunders): Jinja prefers them to keys.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class MailEnvironment(Environment):
    """An `Environment` with cheaper dict keys and globals (see the module's docstring)
    whose templates' sentences are translated when they are compiled, one thread at a
    time."""

    #: The catalog's lookup (`template_translate`); None leaves the calls alone.
    sentence_lookup: Callable[[str], str] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loading = threading.RLock()

    def _load_template(self, name: str, globals: MutableMapping[str, Any] | None) -> Template:
        # Jinja compiles a template in every thread that asks for it before it is cached:
        # the worker threads of a daemon that had just started compiled the first mails'
        # templates side by side. One thread compiles; the others wait for its template.
        with self._loading:
            return super()._load_template(name, globals)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        template = super()._parse(source, name, filename)
        if self.sentence_lookup is not None:
            autoescape = self.autoescape(name) if callable(self.autoescape) else self.autoescape
            translate_sentences(template, self.sentence_lookup, autoescape=bool(autoescape))
        return template

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


#: How long a template is taken to be unchanged after its file was last looked at.
RECHECK_SECONDS = 1.0


class RecheckingLoader(FileSystemLoader):
    """A `FileSystemLoader` whose templates look at their file at most once a second."""

    def __init__(self, searchpath: Sequence[Path], *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(list(searchpath))
        self.clock = clock

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, file_unchanged = super().get_source(environment, template)
        clock = self.clock
        next_check = clock() + RECHECK_SECONDS

        def unchanged() -> bool:
            nonlocal next_check
            now = clock()
            if now < next_check:
                return True
            next_check = now + RECHECK_SECONDS
            return file_unchanged()

        return source, filename, unchanged


def _is_html(template_name: str | None) -> bool:
    return template_name is not None and template_name.endswith(".html.j2")


def mail_environment(
    search_path: Sequence[Path] | BaseLoader,
    translations: NullTranslations,
    *,
    filters: Mapping[str, Any],
    globals: Mapping[str, Any],
    auto_reload: bool,
) -> MailEnvironment:
    """Templates from `search_path` (first wins; or a loader of them), HTML ones
    autoescaped, every variable required; `_`/`gettext`/`ngettext` and ``{% trans %}``
    bound to `translations`."""
    loader = (search_path if isinstance(search_path, BaseLoader)
              else RecheckingLoader(search_path))
    environment = MailEnvironment(
        loader=loader,
        autoescape=_is_html,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=auto_reload,
        cache_size=-1,  # a dict (see the module docstring)
    )
    template_gettext.install(environment, translations)
    environment.sentence_lookup = translations.gettext
    environment.filters.update(filters, **{SENTENCE_FILTER: fill_sentence})
    environment.globals.update(globals)
    return environment
