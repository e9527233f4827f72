"""Locale chains, catalog loading and locale-aware formatting."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from postdesk.errors import ConfigError
from postdesk.notify.i18n import (
    PUBLIC_STATUS_NAMES,
    Catalogs,
    LocaleFormatter,
    locale_chain,
    normalize_language,
)
from postdesk.notify.render import default_locale_dir

LOCALES = default_locale_dir()
#: What `make locales` extracts from (the repository's root is the folder of locales/).
SOURCES = (LOCALES.parent / "daemon" / "postdesk", LOCALES.parent / "templates")
POT = LOCALES / "messages.pot"
PLURAL = ("(%(num)d more line not shown)", "(%(num)d more lines not shown)")


def po_only_copy(tmp_path: Path) -> Path:
    """The shipped catalogs without any compiled .mo, as in a fresh checkout."""
    target = tmp_path / "locales"
    shutil.copytree(LOCALES, target, ignore=shutil.ignore_patterns("*.mo"))
    return target


def write_po(path: Path, language: str, entries: dict[str, str], fuzzy: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "#, fuzzy\n" if fuzzy else ""
    body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
    path.write_text(
        f'{header}msgid ""\nmsgstr ""\n"Language: {language}\\n"\n'
        f'"Content-Type: text/plain; charset=utf-8\\n"\n\n{body}',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("pt-br", "pt_BR"),
        ("pt_BR", "pt_BR"),
        ("EN", "en"),
        ("de_XX", "de"),
        ("zh-Hant-TW", "zh_Hant_TW"),
        ("klingon", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_language(tag: str | None, expected: str | None) -> None:
    assert normalize_language(tag) == expected


def test_chain_goes_region_language_default_english() -> None:
    assert locale_chain("pt-BR", "de") == ("pt_BR", "pt", "de", "en")
    assert locale_chain("de_AT", "de") == ("de_AT", "de", "en")
    assert locale_chain(None, "pl") == ("pl", "en")
    assert locale_chain("nonsense", "en") == ("en",)


def test_po_alone_is_enough(tmp_path: Path) -> None:
    locales = po_only_copy(tmp_path)
    translations = Catalogs([locales]).translations(locale_chain("pl"))
    assert translations.gettext("Resolved") == "Rozwiązane"
    assert not list(locales.rglob("*.mo")), "runtime must not write files"


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "(pominięto jeszcze 1 wiersz)"),
        (2, "(pominięto jeszcze 2 wiersze)"),
        (5, "(pominięto jeszcze 5 wierszy)"),
        (12, "(pominięto jeszcze 12 wierszy)"),
        (22, "(pominięto jeszcze 22 wiersze)"),
        (112, "(pominięto jeszcze 112 wierszy)"),
    ],
)
def test_polish_has_three_plural_forms(tmp_path: Path, count: int, expected: str) -> None:
    translations = Catalogs([po_only_copy(tmp_path)]).translations(locale_chain("pl"))
    assert translations.ngettext(*PLURAL, count) % {"num": count} == expected


def test_fresh_mo_is_preferred_and_stale_mo_ignored(tmp_path: Path) -> None:
    messages = tmp_path / "pl" / "LC_MESSAGES"
    po = write_po(messages / "messages.po", "pl", {"Closed": "z pliku po"})
    with po.open("rb") as handle:
        catalog = read_po(handle, locale="pl")
    catalog["Closed"].string = "z pliku mo"
    mo = messages / "messages.mo"
    with mo.open("wb") as handle:
        write_mo(handle, catalog)
    older = po.stat().st_mtime - 60
    os.utime(po, (older, older))
    assert Catalogs([tmp_path]).translations(["pl"]).gettext("Closed") == "z pliku mo"
    os.utime(po, (older + 120, older + 120))
    assert Catalogs([tmp_path]).translations(["pl"]).gettext("Closed") == "z pliku po"


def test_desk_catalog_overrides_single_messages(tmp_path: Path) -> None:
    desk = tmp_path / "desk"
    write_po(desk / "pl" / "LC_MESSAGES" / "messages.po", "pl", {"Closed": "Zakończone"})
    translations = Catalogs([desk, LOCALES]).translations(locale_chain("pl"))
    assert translations.gettext("Closed") == "Zakończone"
    assert translations.gettext("Resolved") == "Rozwiązane"


def test_region_falls_back_to_desk_default() -> None:
    translations = Catalogs([LOCALES]).translations(locale_chain("pt_BR", "de"))
    assert translations.gettext("Closed") == "Geschlossen"


def test_fuzzy_catalog_is_skipped_like_pybabel(tmp_path: Path) -> None:
    write_po(tmp_path / "pl" / "LC_MESSAGES" / "messages.po", "pl", {"Closed": "x"}, fuzzy=True)
    catalogs = Catalogs([tmp_path])
    assert not catalogs.has_catalog("pl")
    assert catalogs.translations(["pl"]).gettext("Closed") == "Closed"


def test_broken_catalog_error_names_the_file(tmp_path: Path) -> None:
    po = tmp_path / "pl" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid "a"\nmsgstr "b"\ngarbage here\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"pl/LC_MESSAGES/messages\.po"):
        Catalogs([tmp_path]).translations(["pl"])


def test_available_languages(tmp_path: Path) -> None:
    write_po(tmp_path / "pt_BR" / "LC_MESSAGES" / "messages.po", "pt_BR", {"Closed": "Fechado"})
    (tmp_path / "notalanguage" / "LC_MESSAGES").mkdir(parents=True)
    assert Catalogs([tmp_path, LOCALES]).available_languages() == ("de", "en", "pl", "pt_BR")


def pot_ids() -> set[str]:
    with POT.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_pot_is_in_sync_with_sources() -> None:
    with (LOCALES / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    extracted = {
        msg if isinstance(msg, str) else msg[0]
        for source in SOURCES
        for _file, _line, msg, *_rest in extract_from_dir(source, method_map, options_map)
    }
    assert extracted == pot_ids(), "run `pybabel extract` (see babel.cfg) and update catalogs"
    assert set(PUBLIC_STATUS_NAMES) <= extracted


@pytest.mark.parametrize("language", ["en", "pl", "de"])
def test_catalog_translates_every_pot_message(language: str) -> None:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    assert not catalog.fuzzy
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: untranslated {message.id!r}"
        assert "fuzzy" not in message.flags, f"{language}: fuzzy {message.id!r}"
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert ids == pot_ids()


def test_polish_plural_forms_header() -> None:
    with (LOCALES / "pl" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="pl")
    assert catalog.num_plurals == 3


def test_pybabel_compile_works(tmp_path: Path) -> None:
    locales = po_only_copy(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "compile",
            "-d",
            str(locales),
            "-D",
            "messages",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert {p.parent.parent.name for p in locales.rglob("messages.mo")} == {"en", "pl", "de"}
    translations = Catalogs([locales]).translations(["pl"])
    assert translations.gettext("Resolved") == "Rozwiązane"


def test_durations_are_truncated_not_rounded_up() -> None:
    english = LocaleFormatter(Locale.parse("en"))
    assert english.format_timedelta(timedelta(minutes=50)) == "50 minutes"
    assert english.format_timedelta(timedelta(minutes=90)) == "1 hour, 30 minutes"
    assert english.format_timedelta(timedelta(days=2, minutes=1)) == "2 days"
    assert english.format_timedelta(timedelta(seconds=20)) == "0 minutes"
    polish = LocaleFormatter(Locale.parse("pl"))
    assert polish.format_timedelta(timedelta(hours=2)) == "2 godziny"
    assert polish.format_timedelta(timedelta(hours=5)) == "5 godzin"


def test_datetime_uses_zone_and_locale() -> None:
    moment = datetime(2025, 1, 15, 13, 5, tzinfo=UTC)
    german = LocaleFormatter(Locale.parse("de"))
    assert german.format_datetime(moment, ZoneInfo("UTC")) == "15.01.2025, 13:05:00"
    assert german.format_datetime(moment, ZoneInfo("Europe/Warsaw")) == "15.01.2025, 14:05:00"
    naive = moment.replace(tzinfo=None)
    assert german.format_datetime(naive, ZoneInfo("Europe/Warsaw")) == "15.01.2025, 14:05:00"
    late = datetime(2025, 1, 15, 23, 30, tzinfo=UTC)
    assert german.format_date(late, ZoneInfo("Europe/Warsaw")) == "16.01.2025"
    assert german.format_number(1234.5) == "1.234,5"
