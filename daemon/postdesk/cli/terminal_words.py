"""The words of a terminal view in the reader's language: `postdesk queue --lang pl`.

Headings, column names, priority names, the clocks ("Pierwsza odpowiedź:
pozostało 40 min, termin wkrótce", the words of the queue digests mailed to
agents) come from the desk's catalogs, the ones its mails use; English keeps
the compact form (`first reply 40m left`). Internal status names stay as
written: they are the words agents type in `#status` (the column of what the
customer sees is translated). A language Babel does
not know is refused by the command (`--lang: 'xx' is not a language code`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from postdesk.config.settings import Settings

if TYPE_CHECKING:  # Babel is loaded only when a language other than English is asked for
    from postdesk.notify.i18n import LocaleFormatter


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; translated where shown."""
    return message


#: The priorities as the queue digests mailed to agents name them (the same catalog
#: entries); a desk's own names are shown as written.
PRIORITIES = {"low": N_("Low"), "normal": N_("Normal"), "high": N_("High"),
              "urgent": N_("Urgent")}


def _compact_span(seconds: int) -> str:
    """`1d 3h`, `2h05m`, `45m`, `30s` (the sign is left to the caller)."""
    left = abs(seconds)
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m" if minutes else f"{secs}s"


@dataclass(frozen=True)
class Words:
    """Translate a message (with %(name)s placeholders) and write a business-time span."""

    gettext: Callable[[str], str]
    formatter: LocaleFormatter | None = None  # None: English, compact spans

    def _(self, message: str, **params: object) -> str:
        translated = self.gettext(message)
        return translated % params if params else translated

    @property
    def english(self) -> bool:
        return self.formatter is None

    def priority(self, value: str) -> str:
        """A priority: as written in English, else as the digests name it."""
        return value if self.english or value not in PRIORITIES \
            else self.gettext(PRIORITIES[value])

    def span(self, seconds: int) -> str:
        if self.formatter is None:
            return _compact_span(seconds)
        return self.formatter.format_timedelta(timedelta(seconds=abs(seconds)),
                                               granularity="minute" if abs(seconds) >= 60
                                               else "second", format="narrow")


ENGLISH = Words(gettext=lambda message: message)


def words_for(settings: Settings, language: str) -> Words:
    """The words of `language` (a Babel-known code), falling back like the desk's mails."""
    from babel import Locale

    from postdesk.notify.i18n import (
        SOURCE_LANGUAGE,
        Catalogs,
        LocaleFormatter,
        locale_chain,
        normalize_language,
    )
    from postdesk.notify.render import default_locale_dir

    normalized = normalize_language(language) or SOURCE_LANGUAGE
    if normalized == SOURCE_LANGUAGE:
        return ENGLISH
    catalogs = Catalogs([settings.path(settings.paths.locales), default_locale_dir()])
    translations = catalogs.translations(
        locale_chain(normalized, settings.desk.default_language))
    return Words(gettext=translations.gettext, formatter=LocaleFormatter(Locale.parse(normalized)))
