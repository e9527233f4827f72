"""Render outgoing mail in the recipient's language and time zone.

Each mail is three templates, ``email/<name>.subject.j2``, ``.txt.j2`` and
``.html.j2``, usually extending ``email/_layout.txt.j2`` / ``_layout.html.j2``
which carry the desk's branding. Template folders are searched in order (the
desk's ``templates/`` first, then the shipped defaults); inside each folder a
per-language copy, ``<dir>/<lang>/email/<name>...``, wins over the generic one
for the language the mail is written in. The desk's folder can be served from
its live file instead (`overrides`, see :mod:`postdesk.notify.template_overrides`),
so that a template edit that does not parse leaves the last good one in force.

The mail is written in the first language of the locale chain (see
:mod:`postdesk.notify.i18n`) that has a catalog or per-language templates.
One Jinja environment per requested language is built on first use and
cached; translations are bound to it, never swapped globally, so threads may
render concurrently. The recipient's time zone travels in the render context.

Templates get ``_``/``gettext``/``ngettext`` (new style: ``_("Hi %(name)s",
name=x)``), the filters and globals ``datetime``, ``date``, ``timedelta``,
``seconds`` (a number of seconds as a duration),
``number``, ``relative`` ("in 3 hours", "3 hours ago"), ``zone_name``, the
filters ``translate`` (for stored, untranslated strings such as status names),
``excerpt``, ``quoted`` (lines as a ``> `` quote) and ``nl2br``, and the globals
``brand``, ``language_tag`` and ``text_direction`` (see
:mod:`postdesk.notify.template_helpers`). Rendering is tuned for many mails per
second: see :mod:`postdesk.notify.template_environment` and
:mod:`postdesk.notify.template_translate`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from jinja2 import BaseLoader, Environment, TemplateNotFound

from postdesk.config.localized_text import LocalizedText
from postdesk.config.shipped import shipped
from postdesk.errors import ConfigError
from postdesk.notify.audience import CUSTOMER_TEMPLATES
from postdesk.notify.greeting import greeting_for
from postdesk.notify.i18n import Catalogs, LocaleFormatter, locale_chain, normalize_language
from postdesk.notify.template_environment import RecheckingLoader, mail_environment
from postdesk.notify.template_helpers import template_helpers
from postdesk.notify.template_overrides import OverridingLoader, TemplateSet

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_LOGO_SCHEMES = ("https://", "http://", "cid:")
_UTC = ZoneInfo("UTC")
_BLANK_LINES = re.compile(r"\n{3,}")


class TemplateMissing(ConfigError):
    """A template (or the layout it extends) exists in none of the folders."""


Text = LocalizedText | str


def _in_language(text: Text, chain: Sequence[str]) -> str:
    return text.in_language(chain) if isinstance(text, LocalizedText) else text


@dataclass(frozen=True)
class Branding:
    """How the desk presents itself in every mail (validated by `Renderer`).

    Texts are one string or a `LocalizedText`; `for_mail` picks the recipient's language.
    `footer` goes to customers, `agent_footer` to agents (a customer's "you receive this
    mail because you contacted us" means nothing to an agent)."""

    desk_name: Text = "Postdesk"
    logo_url: str | None = None
    primary_colour: str = "#2563eb"
    header: Text = ""
    signature: Text = ""
    footer: Text = ""
    agent_footer: Text = ""
    register: str = "formal"

    def for_mail(self, chain: Sequence[str], *, to_customer: bool) -> Branding:
        """This branding with plain texts in the first language of `chain` that has them,
        and the footer of the audience."""
        footer = self.footer if to_customer else self.agent_footer
        return replace(self, desk_name=_in_language(self.desk_name, chain),
                       header=_in_language(self.header, chain),
                       signature=_in_language(self.signature, chain),
                       footer=_in_language(footer, chain), agent_footer="")


@dataclass(frozen=True)
class RenderedEmail:
    """The three rendered parts of one mail."""

    subject: str
    text: str
    html: str
    language: str = "en"

    @property
    def content_language(self) -> str:
        """`language` as an RFC 5646 tag for the ``Content-Language`` header (``pt-BR``)."""
        return self.language.replace("_", "-")


def default_template_dir() -> Path:
    """The templates Postdesk ships (top-level `templates/`)."""
    return shipped("templates")


def default_locale_dir() -> Path:
    """The gettext catalogs Postdesk ships (top-level `locales/`)."""
    return shipped("locales")


def _check_branding(branding: Branding) -> None:
    # Colour and logo end up in style/src attributes, where escaping is no defence.
    if not _COLOUR.fullmatch(branding.primary_colour):
        raise ConfigError(
            f"branding primary colour {branding.primary_colour!r} is not a hex colour; "
            f"write it like '#2563eb' or '#26e'"
        )
    if branding.logo_url is not None and not branding.logo_url.startswith(_LOGO_SCHEMES):
        raise ConfigError(
            f"branding logo URL {branding.logo_url!r} must start with https://, http:// or cid:"
        )


def _zone(name: str | None) -> ZoneInfo:
    """The recipient's zone; an unknown name falls back to UTC so the mail still goes out."""
    if not name:
        return _UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return _UTC


def one_line(subject: str) -> str:
    """Collapse every run of whitespace, CR and LF included, to one space."""
    return " ".join(subject.split())


def _tidy_text(text: str) -> str:
    if "\n\n\n" in text:  # a plain search is much cheaper than the pattern's
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip("\n") + "\n"


@dataclass(frozen=True)
class _Language:
    """What is cached per requested language."""

    environment: Environment
    language: str
    customer_brand: Branding  # the branding in this language, for customers' mails
    agent_brand: Branding  # and for agents'


class Renderer:
    """Renders named mails; cheap to call once warm, safe to share between threads."""

    def __init__(
        self,
        template_dirs: Sequence[Path],
        locale_dirs: Sequence[Path],
        *,
        default_language: str = "en",
        branding: Branding = Branding(),
        auto_reload: bool = True,
        overrides: Callable[[], TemplateSet] | None = None,
    ) -> None:
        """`overrides`: the desk's own templates in force (its live file), served in place
        of the files of `template_dirs[0]`."""
        default = normalize_language(default_language)
        if default is None:
            raise ConfigError(
                f"default language {default_language!r} is unknown; use a code such as "
                f"'en', 'pl' or 'pt_BR'"
            )
        _check_branding(branding)
        self.template_dirs = tuple(Path(d) for d in template_dirs)
        self.default_language = default
        self.branding = branding
        self.auto_reload = auto_reload
        self.overrides = overrides
        self._catalogs = Catalogs(locale_dirs)
        self._lock = threading.Lock()
        self._languages: dict[str | None, _Language] = {}

    def available_languages(self) -> tuple[str, ...]:
        """Languages with a catalog, always including ``en``."""
        return self._catalogs.available_languages()

    def render(
        self,
        name: str,
        context: Mapping[str, Any],
        *,
        language: str | None,
        timezone: str | None,
    ) -> RenderedEmail:
        """Render ``email/<name>.{subject,txt,html}.j2`` for one recipient.

        Raises `TemplateMissing` when a template is absent and Jinja's
        ``UndefinedError`` when the context lacks a variable a template uses.
        """
        if not _NAME.fullmatch(name):
            raise ValueError(f"template name {name!r} must be letters, digits, '-' or '_'")
        bundle = self._language(language)
        zone = _zone(timezone)
        brand = bundle.customer_brand if name in CUSTOMER_TEMPLATES else bundle.agent_brand
        values = {**context, "_tzinfo": zone, "recipient_timezone": zone.key, "brand": brand}
        desk = values.get("desk")
        if isinstance(self.branding.desk_name, LocalizedText) and isinstance(desk, Mapping):
            # [branding] desk_name: the desk's name in this language, in the text too
            values["desk"] = {**desk, "name": brand.desk_name}
        subject = one_line(self._render(bundle, f"email/{name}.subject.j2", values))
        values["email_subject"] = subject
        text = _tidy_text(self._render(bundle, f"email/{name}.txt.j2", values))
        html = self._render(bundle, f"email/{name}.html.j2", values)
        return RenderedEmail(subject=subject, text=text, html=html, language=bundle.language)

    def render_page(self, name: str, context: Mapping[str, Any], *, language: str | None,
                    timezone: str | None = None) -> tuple[str, str]:
        """(HTML, language tag) of ``web/<name>.html.j2`` for a customer: the mails'
        language chain, catalogs, filters and customer branding (the ticket page)."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"template name {name!r} must be letters, digits, '-' or '_'")
        bundle = self._language(language)
        zone = _zone(timezone)
        values = {**context, "_tzinfo": zone, "recipient_timezone": zone.key,
                  "brand": bundle.customer_brand}
        html = self._render(bundle, f"web/{name}.html.j2", values)
        return html, bundle.language.replace("_", "-")

    def written_in(self, language: str | None) -> str:
        """The tag of the language a page for `language` is written in (its locale chain's
        first with a catalog): ``pl``, ``pt-BR``, ``en``."""
        return self._language(language).language.replace("_", "-")

    def translate(self, message: str, language: str | None = None, **values: Any) -> str:
        """A msgid in `language` (the desk's default when None) along its locale chain,
        with its %(name)s parameters filled in: for text stored once, such as a note."""
        chain = locale_chain(language, self.default_language)
        return self._catalogs.translations(chain).gettext(message) % values

    def clear_caches(self) -> None:
        """Forget environments and catalogs, e.g. after an admin edited a ``.po``."""
        with self._lock:
            self._languages.clear()
            self._catalogs = Catalogs(self._catalogs.locale_dirs)

    def _render(self, bundle: _Language, template_name: str, values: dict[str, Any]) -> str:
        try:
            template = bundle.environment.get_template(template_name)
        except TemplateNotFound as exc:
            folders = ", ".join(str(d) for d in self.template_dirs)
            raise TemplateMissing(
                f"template {exc.name} not found in {folders}; add it to the desk's "
                f"templates/ folder or check the template name"
            ) from exc
        return template.render(values)

    def _language(self, language: str | None) -> _Language:
        key = normalize_language(language)
        bundle = self._languages.get(key)  # a bundle never changes once built: read unlocked
        if bundle is not None:
            return bundle
        with self._lock:
            bundle = self._languages.get(key)
            if bundle is None:
                bundle = self._build(key)
                self._languages[key] = bundle
            return bundle

    def _has_template_language(self, language: str) -> bool:
        if self.overrides is not None and self.overrides().has_language(language):
            return True
        return any((d / language / "email").is_dir() for d in self._file_dirs)

    @property
    def _file_dirs(self) -> tuple[Path, ...]:
        """The template folders read from disk (the first is the live set's, if any)."""
        return self.template_dirs[1:] if self.overrides is not None else self.template_dirs

    def _build(self, requested: str | None) -> _Language:
        chain = locale_chain(requested, self.default_language)
        index = next(
            i
            for i, lang in enumerate(chain)
            if lang == "en" or self._catalogs.has_catalog(lang) or self._has_template_language(lang)
        )
        written_in = chain[index]
        search_path: list[Path] = []
        for folder in self._file_dirs:
            search_path.extend(folder / lang for lang in chain[: index + 1])
            search_path.append(folder)
        loader: BaseLoader = RecheckingLoader(search_path)
        if self.overrides is not None:
            loader = OverridingLoader(self.overrides, [*chain[: index + 1], ""], loader)
        # Keep the recipient's region for dates (en_GB) when the mail is in its language.
        same_base = requested is not None and requested.split("_")[0] == written_in.split("_")[0]
        locale = Locale.parse(requested if same_base else written_in)
        translations = self._catalogs.translations(chain)
        customer_brand = self.branding.for_mail(chain[index:], to_customer=True)
        agent_brand = self.branding.for_mail(chain[index:], to_customer=False)
        filters, helpers = template_helpers(LocaleFormatter(locale), translations,
                                             chain[index:])
        environment = mail_environment(
            loader, translations, filters=filters, auto_reload=self.auto_reload,
            globals={
                **helpers,
                "brand": customer_brand,
                "greeting": greeting_for(translations, self.branding.register),
                "language_tag": str(locale).replace("_", "-"),
                "text_direction": "rtl" if locale.character_order == "right-to-left" else "ltr",
            },
        )
        return _Language(environment=environment, language=written_in,
                         customer_brand=customer_brand, agent_brand=agent_brand)
