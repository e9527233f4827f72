"""The filters and globals templates get besides gettext (see `postdesk.notify.render`).

Dates, durations and numbers are written by one language's `LocaleFormatter`;
the recipient's zone is read from each render's context (``_tzinfo``), so one
environment serves every zone.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from babel.support import NullTranslations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from postdesk.config.localized_text import LocalizedText
from postdesk.notify.badge import badge
from postdesk.notify.i18n import LocaleFormatter
from postdesk.notify.links import linkify
from postdesk.notify.reflow import reflow

QUOTE_LINES = 20


@dataclass(frozen=True)
class Excerpt:
    """The first lines of a text, and how many were left out."""

    lines: tuple[str, ...]
    hidden: int


@functools.lru_cache(maxsize=64, typed=True)  # both parts quote the same text (typed: Markup)
def excerpt(text: str | None, limit: int = QUOTE_LINES) -> Excerpt:
    """At most `limit` lines of `text`, without leading and trailing blank lines."""
    lines = [line.rstrip() for line in (text or "").strip("\r\n").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return Excerpt(lines=tuple(lines[:limit]), hidden=max(0, len(lines) - limit))


def quoted(lines: Iterable[Any]) -> str:
    """Lines as a plain-text quote, ``"> "`` before each (an empty line becomes ``">"``),
    one per line."""
    return "\n".join(f"> {line}".strip() for line in lines)


def nl2br(value: str) -> Markup:
    """Escape `value`, turn its line breaks into ``<br>`` and its web, mail and phone
    addresses into links (the text part says ``page (https://...)``: the HTML part
    links it, so no link of an agent's or customer's mail is lost in either part)."""
    # Split the escaped text as a plain str: Markup would wrap and re-escape every line.
    return Markup("<br>\n".join(linkify(str(escape(value))).splitlines()))


def template_helpers(
    formatter: LocaleFormatter, translations: NullTranslations, chain: Sequence[str] = ()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (filters, globals) for one language; `chain`: the languages a title by language
    is looked up in, best first."""

    @pass_context
    def format_datetime(context: Context, value: Any, format: str = "mail") -> str:
        return formatter.format_datetime(value, context["_tzinfo"], format)

    @pass_context
    def format_date(context: Context, value: Any, format: str = "mail") -> str:
        return formatter.format_date(value, context["_tzinfo"], format)

    @pass_context
    def zone_name(context: Context, value: Any) -> str:
        return formatter.zone_name(value, context["_tzinfo"])

    def translate(value: Any) -> str:
        """A stored name in this language: a msgid through the catalog, or a title by
        language from the rules files ({"en": ..., "pl": ...}, see `LocalizedText`)."""
        if isinstance(value, Mapping):
            return LocalizedText(tuple((str(k), str(v)) for k, v in value.items())) \
                .in_language(chain)
        # Not `_()`: that treats the string as markup and as a %-format.
        return translations.gettext(str(value))

    helpers: dict[str, Any] = {
        "datetime": format_datetime,
        "date": format_date,
        "timedelta": formatter.format_timedelta,
        "seconds": lambda value, **options: formatter.format_timedelta(
            timedelta(seconds=int(value)), **options),  # business seconds of the SLA
        "relative": formatter.format_relative,
        "number": formatter.format_number,
        "file_size": formatter.format_file_size,  # not Jinja's filesizeformat: English only
        "zone_name": zone_name,
    }
    filters = {**helpers, "translate": translate, "excerpt": excerpt, "quoted": quoted,
               "nl2br": nl2br, "reflow": reflow, "badge": badge}
    return filters, helpers
