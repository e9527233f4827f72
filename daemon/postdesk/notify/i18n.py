"""Locale chains and gettext catalogs for outgoing mail.

A recipient's language is normalised with Babel (``pt-br`` -> ``pt_BR``) and
expanded into a chain: the language with its region, the bare language, the
desk's default language, then ``en``. Catalogs live in ``<dir>/<lang>/
LC_MESSAGES/messages.po`` (or a compiled ``.mo`` next to it) in each locale
folder, the desk's own folder first. ``Translations.load`` stops at the first
catalog it finds, so the chain is built by hand with ``add_fallback``: a
message missing from the desk's Polish catalog is looked up in the shipped
Polish catalog, then in the default language, then in English.

A compiled ``.mo`` is used when it is at least as new as its ``.po``;
otherwise the ``.po`` is compiled in memory, so a fresh checkout works without
``pybabel compile``. A catalog whose header is marked fuzzy is skipped, as
``pybabel compile`` does. Catalogs are read once per process and cached.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from io import BytesIO
from pathlib import Path

from babel import Locale, dates, lists, numbers, units
from babel.core import UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import NullTranslations, Translations

from postdesk.errors import ConfigError
from postdesk.notify.date_format import LocaleDates

log = logging.getLogger(__name__)

DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


#: Customer-facing status names shipped in the catalogs. The domain stores
#: them untranslated; templates translate them for each recipient.
PUBLIC_STATUS_NAMES: tuple[str, ...] = (
    N_("Received"),
    N_("In progress"),
    N_("Waiting for your reply"),
    N_("Resolved"),
    N_("Closed"),
)


@functools.lru_cache(maxsize=256)  # every mail asks; Babel parses the tag each time
def normalize_language(tag: str | None) -> str | None:
    """Return the Babel identifier for a language tag, or None if unusable.

    Accepts ``pt-BR``, ``pt_br``, ``EN``; an unknown region falls back to the
    bare language (``de_XX`` -> ``de``); garbage gives None.
    """
    if not tag or not tag.strip():
        return None
    candidate = tag.strip().replace("-", "_")
    for attempt in (candidate, candidate.split("_", 1)[0]):
        try:
            return str(Locale.parse(attempt))
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return None


def _with_parents(identifier: str) -> list[str]:
    """``zh_Hant_TW`` -> ``[zh_Hant_TW, zh_Hant, zh]``."""
    parts = identifier.split("_")
    return ["_".join(parts[:n]) for n in range(len(parts), 0, -1)]


@functools.lru_cache(maxsize=256)  # asked several times a mail, always of the same few tags
def locale_chain(language: str | None, default_language: str = SOURCE_LANGUAGE) -> tuple[str, ...]:
    """Languages to try, best first: recipient (region, bare), desk default, ``en``."""
    chain: list[str] = []
    for tag in (language, default_language, SOURCE_LANGUAGE):
        normalized = normalize_language(tag)
        if normalized is None:
            continue
        for item in _with_parents(normalized):
            if item not in chain:
                chain.append(item)
    return tuple(chain)


def compile_po(po_path: Path, language: str) -> bytes | None:
    """Compile a ``.po`` file to ``.mo`` bytes in memory; None if it is fuzzy."""
    try:
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language, domain=DOMAIN, abort_invalid=True)
    except (PoFileError, OSError, ValueError) as exc:
        raise ConfigError(
            f"{po_path}: cannot read catalog: {exc}. Fix the file (check it with "
            f"`pybabel compile --statistics`) or remove it."
        ) from exc
    if catalog.fuzzy:
        log.warning("%s: catalog header is marked fuzzy; skipped like pybabel does", po_path)
        return None
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def read_catalog_bytes(locale_dir: Path, language: str) -> bytes | None:
    """Return ``.mo`` bytes for one language in one folder, or None if absent."""
    base = locale_dir / language / "LC_MESSAGES"
    mo_path, po_path = base / f"{DOMAIN}.mo", base / f"{DOMAIN}.po"
    po_mtime = po_path.stat().st_mtime if po_path.is_file() else None
    if mo_path.is_file() and (po_mtime is None or mo_path.stat().st_mtime >= po_mtime):
        return mo_path.read_bytes()
    if po_mtime is not None:
        return compile_po(po_path, language)
    return None


class Catalogs:
    """Thread-safe, cached access to the gettext catalogs of several folders."""

    def __init__(self, locale_dirs: Sequence[Path]) -> None:
        self.locale_dirs = tuple(Path(d) for d in locale_dirs)
        self._lock = threading.Lock()
        self._bytes: dict[tuple[Path, str], bytes | None] = {}
        self._chains: dict[tuple[str, ...], NullTranslations] = {}

    def _catalog_bytes(self, locale_dir: Path, language: str) -> bytes | None:
        key = (locale_dir, language)
        if key not in self._bytes:
            self._bytes[key] = read_catalog_bytes(locale_dir, language)
        return self._bytes[key]

    def has_catalog(self, language: str) -> bool:
        """True if any folder holds a usable catalog for exactly this language."""
        with self._lock:
            return any(self._catalog_bytes(d, language) for d in self.locale_dirs)

    def translations(self, chain: Sequence[str]) -> NullTranslations:
        """Translations for a locale chain, each folder and language as a fallback.

        Each chain gets its own objects because ``add_fallback`` mutates them.
        """
        key = tuple(chain)
        with self._lock:
            cached = self._chains.get(key)
            if cached is not None:
                return cached
            head: NullTranslations | None = None
            for language in key:
                for locale_dir in self.locale_dirs:
                    data = self._catalog_bytes(locale_dir, language)
                    if not data:
                        continue
                    catalog = Translations(BytesIO(data), domain=DOMAIN)
                    if head is None:
                        head = catalog
                    else:
                        head.add_fallback(catalog)
            result = head if head is not None else NullTranslations()
            self._chains[key] = result
            return result

    def available_languages(self) -> tuple[str, ...]:
        """Languages with a catalog in any folder, plus the source language."""
        found = {SOURCE_LANGUAGE}
        for locale_dir in self.locale_dirs:
            if not locale_dir.is_dir():
                continue
            for child in locale_dir.iterdir():
                messages = child / "LC_MESSAGES"
                has_file = any((messages / f"{DOMAIN}{ext}").is_file() for ext in (".po", ".mo"))
                normalized = normalize_language(child.name)
                if has_file and normalized == child.name:
                    found.add(normalized)
        return tuple(sorted(found))


#: Units for durations, largest first; months and years are too vague for SLAs.
_DURATION_UNITS: tuple[tuple[str, int], ...] = (
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
    ("second", 1),
)


@dataclass(frozen=True)
class LocaleFormatter:
    """Dates, durations and numbers for one locale; time zones are passed per call."""

    locale: Locale
    locale_dates: LocaleDates = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "locale_dates", LocaleDates(self.locale))

    def format_datetime(self, value: datetime, zone: tzinfo, format: str = "medium") -> str:
        """A moment in the given zone; a naive datetime is taken to be UTC."""
        return self.locale_dates.format_datetime(_aware(value), zone, format)

    def format_date(self, value: date, zone: tzinfo, format: str = "medium") -> str:
        """The calendar day, in the given zone when `value` is a datetime."""
        if isinstance(value, datetime):
            value = _aware(value).astimezone(zone).date()
        return self.locale_dates.format_date(value, format)

    def zone_name(self, value: datetime, zone: tzinfo) -> str:
        """The zone's long localized name at that moment ("Central European Summer Time")."""
        return self.locale_dates.zone_name(_aware(value), zone)

    def format_timedelta(
        self, value: timedelta, granularity: str = "minute", format: str = "long", parts: int = 2
    ) -> str:
        """A duration as up to `parts` whole units, truncated, never rounded up.

        ``format_timedelta`` alone turns 50 minutes into "1 hour" and 90
        minutes into "2 hours"; this gives "50 minutes" and "1 hour, 30 minutes".
        """
        units = [u for u in _DURATION_UNITS if u[1] >= dict(_DURATION_UNITS)[granularity]]
        remaining = int(abs(value.total_seconds()))
        pieces: list[str] = []
        for unit, seconds in units:
            count, remaining = divmod(remaining, seconds)
            if count and len(pieces) < parts:
                pieces.append(self._unit(count, unit, format))
            elif pieces:
                break
        if not pieces:
            pieces.append(self._unit(0, units[-1][0], format))
        return lists.format_list(pieces, style="unit", locale=self.locale)

    def format_relative(self, value: timedelta, format: str = "long") -> str:
        """A signed duration as "in 3 hours" / "3 hours ago" ("za 3 godziny"), from Babel.

        Uses the largest whole unit, truncated like `format_timedelta`, so a
        deadline 2 h 50 min away reads "in 2 hours", never "in 3 hours".
        """
        seconds = int(value.total_seconds())
        unit, size = next(((u, s) for u, s in _DURATION_UNITS if abs(seconds) >= s),
                          _DURATION_UNITS[-1])
        whole = (abs(seconds) // size) * size * (1 if seconds >= 0 else -1)
        return dates.format_timedelta(
            timedelta(seconds=whole),
            granularity=unit,  # type: ignore[arg-type]
            threshold=1e12,
            add_direction=True,
            format=format,  # type: ignore[arg-type]
            locale=self.locale,
        )

    def _unit(self, count: int, unit: str, format: str) -> str:
        # A huge threshold pins Babel to `unit`; `count` is already whole.
        return dates.format_timedelta(
            timedelta(seconds=count * dict(_DURATION_UNITS)[unit]),
            granularity=unit,  # type: ignore[arg-type]
            threshold=1e12,
            format=format,  # type: ignore[arg-type]
            locale=self.locale,
        )

    def format_number(self, value: float | int, format: str | None = None) -> str:
        """A number with the locale's separators."""
        return numbers.format_decimal(value, format=format, locale=self.locale)

    def format_file_size(self, size: int | float) -> str:
        """A file's size as Jinja's `filesizeformat` gives it (1000 bytes to the kB, one
        decimal), in the locale's digits and unit: "1.2 MB", "1,2 MB", "512 bytes",
        "512 bajtów"."""
        size = max(0, int(size))
        if size < 1000:
            return units.format_unit(size, "digital-byte", length="long", locale=self.locale)
        value, step = size / 1000, 0
        while value >= 1000 and step < len(_SIZE_UNITS) - 1:
            value, step = value / 1000, step + 1
        return units.format_unit(value, _SIZE_UNITS[step], length="short", format="#,##0.0",
                                 locale=self.locale)


#: kB, MB, ... as CLDR names them (`format_file_size`)
_SIZE_UNITS = ("digital-kilobyte", "digital-megabyte", "digital-gigabyte", "digital-terabyte")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
