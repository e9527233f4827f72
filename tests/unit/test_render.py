"""Rendering the shipped acknowledgment mail per language, zone and override."""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from jinja2 import UndefinedError

from postdesk.errors import ConfigError
from postdesk.notify.i18n import PUBLIC_STATUS_NAMES
from postdesk.notify.render import (
    Branding,
    Renderer,
    TemplateMissing,
    default_locale_dir,
    default_template_dir,
)

CREATED = datetime(2025, 1, 15, 13, 5, tzinfo=UTC)


def context(**ticket: Any) -> dict[str, Any]:
    """Acknowledgment context with the exact keys the outbox sender passes."""
    return {
        "ticket": {
            "id": 12,
            "subject": "Drukarka HP",
            "public_status": "Received",
            "created_at": CREATED,
            **ticket,
        },
        "customer": {"name": "Anna Nowak", "email": "anna@example.org"},
        "desk": {"name": "Acme", "address": "help@acme.example"},
        "message": {"text": "Drukarka nie drukuje.\nPozdrawiam"},
    }


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer([default_template_dir()], [default_locale_dir()])


def test_english(renderer: Renderer) -> None:
    mail = renderer.render("acknowledgment", context(), language="en", timezone=None)
    assert mail.subject == "[#12] Drukarka HP"
    assert mail.language == "en"
    assert "Hello Anna Nowak," in mail.text
    assert "opened ticket #12" in mail.text
    assert "Current status: Received" in mail.text
    assert "reply to this email" in mail.text
    assert "> Drukarka nie drukuje." in mail.text
    assert mail.html.startswith("<!DOCTYPE html>")
    assert '<html lang="en"' in mail.html
    assert "Current status: Received" in mail.html


def test_polish(renderer: Renderer) -> None:
    mail = renderer.render("acknowledgment", context(), language="pl", timezone="Europe/Warsaw")
    assert mail.language == "pl"
    assert "Dzień dobry,\n" in mail.text
    assert "Aktualny status: Przyjęte" in mail.text
    assert "Numer zgłoszenia: #12" in mail.html
    assert '<html lang="pl"' in mail.html


def test_german(renderer: Renderer) -> None:
    mail = renderer.render("acknowledgment", context(), language="de", timezone="Europe/Berlin")
    assert "Guten Tag,\n" in mail.text
    assert "Aktueller Status: Eingegangen" in mail.text
    assert "Eingegangen am: 15. Januar 2025, 14:05 (" in mail.text


def test_neutral_greeting_without_name(renderer: Renderer) -> None:
    ctx = context()
    ctx["customer"] = {"name": "", "email": "anna@example.org"}
    mail = renderer.render("acknowledgment", ctx, language="de", timezone=None)
    assert "Guten Tag," in mail.text
    assert "Hallo" not in mail.text


def english_fragments() -> set[str]:
    """Literal text of every msgid, split at its placeholders."""
    with (default_locale_dir() / "messages.pot").open("rb") as handle:
        ids = [m.id for m in read_po(handle) if m.id]
    texts = [t for i in ids for t in (i if isinstance(i, tuple) else (i,))]
    pieces = {p.strip(" ,.:()#") for t in texts for p in re.split(r"%\(\w+\)[sd]", t)}
    return {p for p in pieces if len(p) >= 4}


def words_of_the_language(language: str) -> set[str]:
    """The fragments the language's own catalog writes as whole words too: German says
    "Ticket" and "Status" itself, so their being in a German mail is no English left."""
    with (default_locale_dir() / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        strings = [m.string for m in read_po(handle, locale=language) if m.id]
    words = {w for s in strings for t in (s if isinstance(s, tuple) else (s,))
             for w in re.findall(r"\w+", re.sub(r"%\(\w+\)[sd]", "", t or ""))}
    return {f for f in english_fragments() if f in words}


@pytest.mark.parametrize("language", ["pl", "de"])
@pytest.mark.parametrize("status", PUBLIC_STATUS_NAMES)
def test_no_english_left_in_translated_mail(renderer: Renderer, language: str, status: str) -> None:
    ctx = context(subject="", public_status=status)
    ctx["customer"]["name"] = ""
    ctx["message"]["text"] = "\n".join(f"wiersz {n}" for n in range(30))
    for ctx_variant in (ctx, context(public_status=status)):
        mail = renderer.render("acknowledgment", ctx_variant, language=language, timezone=None)
        for fragment in english_fragments() - words_of_the_language(language):
            for part in (mail.subject, mail.text, mail.html):
                assert fragment not in part, f"{language}: English {fragment!r} left"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [(21, "1 wiersz)"), (22, "2 wiersze)"), (25, "5 wierszy)"), (42, "22 wiersze)")],
)
def test_polish_plural_in_mail(renderer: Renderer, lines: int, expected: str) -> None:
    ctx = context()
    ctx["message"]["text"] = "\n".join(f"wiersz {n}" for n in range(lines))
    mail = renderer.render("acknowledgment", ctx, language="pl", timezone=None)
    assert f"(pominięto jeszcze {expected}" in mail.text
    assert f"(pominięto jeszcze {expected}" in mail.html
    assert mail.text.count("> wiersz") == 20


def test_time_shown_in_recipient_zone(renderer: Renderer) -> None:
    utc = renderer.render("acknowledgment", context(), language="de", timezone="UTC")
    warsaw = renderer.render("acknowledgment", context(), language="de", timezone="Europe/Warsaw")
    assert "15. Januar 2025, 13:05 (" in utc.text
    assert "15. Januar 2025, 14:05 (" in warsaw.text
    assert "13:05" not in warsaw.text
    assert "Mitteleuropäische Normalzeit" in warsaw.html


def test_unknown_zone_falls_back_to_utc(renderer: Renderer) -> None:
    mail = renderer.render("acknowledgment", context(), language="de", timezone="Mars/Olympus")
    assert "15. Januar 2025, 13:05 (" in mail.text


def test_html_is_escaped_and_text_is_not(renderer: Renderer) -> None:
    ctx = context(subject="<script>alert(1)</script>")
    ctx["message"]["text"] = "<script>steal()</script> & more"
    ctx["customer"]["name"] = "<b>Eve</b>"
    mail = renderer.render("acknowledgment", ctx, language="en", timezone=None)
    assert "<script>" not in mail.html
    assert "<b>Eve" not in mail.html
    assert "&lt;script&gt;steal()&lt;/script&gt; &amp; more" in mail.html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in mail.html
    assert "> <script>steal()</script> & more" in mail.text
    assert mail.subject == "[#12] <script>alert(1)</script>"


def test_missing_variable_raises(renderer: Renderer) -> None:
    ctx = context()
    del ctx["desk"]
    with pytest.raises(UndefinedError):
        renderer.render("acknowledgment", ctx, language="en", timezone=None)


def test_subject_is_one_line(renderer: Renderer) -> None:
    ctx = context(subject="Help\r\nBcc: victim@example.org\n\tplease")
    mail = renderer.render("acknowledgment", ctx, language="en", timezone=None)
    assert mail.subject == "[#12] Help Bcc: victim@example.org please"
    assert "\r" not in mail.subject and "\n" not in mail.subject


def test_empty_subject_is_translated(renderer: Renderer) -> None:
    mail = renderer.render("acknowledgment", context(subject="  "), language="pl", timezone=None)
    assert mail.subject == "[#12] (bez tematu)"


def test_region_falls_back_to_desk_default() -> None:
    renderer = Renderer([default_template_dir()], [default_locale_dir()], default_language="de")
    mail = renderer.render("acknowledgment", context(), language="pt-BR", timezone=None)
    assert mail.language == "de"
    assert "Guten Tag,\n" in mail.text


def test_unknown_language_falls_back_to_english(renderer: Renderer) -> None:
    for language in ("klingon", "ja", None):
        mail = renderer.render("acknowledgment", context(), language=language, timezone=None)
        assert mail.language == "en"
        assert "Hello Anna Nowak," in mail.text


def test_regional_english_keeps_regional_dates(renderer: Renderer) -> None:
    mail = renderer.render("acknowledgment", context(), language="en_GB", timezone="UTC")
    assert "15 January 2025, 13:05 (" in mail.text
    assert '<html lang="en-GB"' in mail.html


def test_desk_override_folder_wins(tmp_path: Path) -> None:
    email = tmp_path / "email"
    email.mkdir()
    (email / "acknowledgment.txt.j2").write_text("Custom {{ ticket.id }}\n", encoding="utf-8")
    renderer = Renderer([tmp_path, default_template_dir()], [default_locale_dir()])
    mail = renderer.render("acknowledgment", context(), language="en", timezone=None)
    assert mail.text == "Custom 12\n"
    assert "Current status: Received" in mail.html


def test_per_language_override_only_for_that_language(tmp_path: Path) -> None:
    email = tmp_path / "pl" / "email"
    email.mkdir(parents=True)
    (email / "acknowledgment.txt.j2").write_text("Tylko po polsku\n", encoding="utf-8")
    renderer = Renderer([tmp_path, default_template_dir()], [default_locale_dir()])
    assert renderer.render("acknowledgment", context(), language="pl_PL", timezone=None).text == (
        "Tylko po polsku\n"
    )
    german = renderer.render("acknowledgment", context(), language="de", timezone=None)
    assert "Guten Tag,\n" in german.text


def test_renders_from_po_only(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(default_locale_dir(), locales, ignore=shutil.ignore_patterns("*.mo"))
    renderer = Renderer([default_template_dir()], [locales])
    mail = renderer.render("acknowledgment", context(), language="pl", timezone=None)
    assert "Aktualny status: Przyjęte" in mail.text
    assert renderer.available_languages() == ("de", "en", "pl")


def test_concurrent_renders_stay_in_their_language(renderer: Renderer) -> None:
    expected = {"pl": "Aktualny status: Przyjęte", "de": "Aktueller Status: Eingegangen"}

    def render(language: str) -> tuple[str, str]:
        mail = renderer.render("acknowledgment", context(), language=language, timezone=None)
        return language, mail.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(render, ["pl", "de"] * 100))
    for language, text in results:
        other = "de" if language == "pl" else "pl"
        assert expected[language] in text
        assert expected[other] not in text


def test_branding_appears_in_both_parts() -> None:
    branding = Branding(
        desk_name="Acme Support",
        logo_url="https://acme.example/logo.png",
        primary_colour="#ff6600",
        header="Open 9-17",
        signature="Your Acme team",
        footer="Acme Ltd, 1 Main St",
    )
    renderer = Renderer([default_template_dir()], [default_locale_dir()], branding=branding)
    mail = renderer.render("acknowledgment", context(), language="en", timezone=None)
    assert 'src="https://acme.example/logo.png" alt="Acme Support"' in mail.html
    assert "#ff6600" in mail.html
    assert "max-width:600px" in mail.html
    for line in ("Open 9-17", "Your Acme team", "Acme Ltd, 1 Main St"):
        assert line in mail.text and line in mail.html
    assert "\n-- \nYour Acme team\n" in mail.text


@pytest.mark.parametrize(
    "branding",
    [Branding(primary_colour="red;background:url(x)"), Branding(logo_url="javascript:alert(1)")],
)
def test_unsafe_branding_is_refused(branding: Branding) -> None:
    with pytest.raises(ConfigError):
        Renderer([default_template_dir()], [default_locale_dir()], branding=branding)


def test_unknown_default_language_is_refused() -> None:
    with pytest.raises(ConfigError, match="default language"):
        Renderer([default_template_dir()], [default_locale_dir()], default_language="xx")


def test_missing_template_names_it(renderer: Renderer) -> None:
    with pytest.raises(TemplateMissing, match=r"email/nothing\.subject\.j2"):
        renderer.render("nothing", context(), language="en", timezone=None)
    with pytest.raises(ValueError):
        renderer.render("../secrets", context(), language="en", timezone=None)
