"""Issue 26 (points 5 and 6): what a Polish or German reader notices in a mail.

Texts by language ([branding], request types, statuses), the greeting in the desk's
register, dates without seconds or clipped months, agents' own footer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from postdesk.config.load import settings_from_mapping
from postdesk.config.localized_text import LocalizedText
from postdesk.config.runtime import branding_of
from postdesk.errors import ConfigError, RuleError
from postdesk.notify.render import Branding, Renderer, default_locale_dir, default_template_dir
from postdesk.notify.samples import sample_context
from postdesk.tickets.routing import parse_routing
from postdesk.tickets.statuses import load_statuses

SIGNATURE = {"en": "Your Acme Support team", "pl": "Zespół wsparcia Acme",
             "de": "Ihr Acme-Support-Team"}


def renderer(**branding: Any) -> Renderer:
    return Renderer([default_template_dir()], [default_locale_dir()],
                    branding=Branding(**branding))


def test_a_text_by_language_falls_back_along_the_locale_chain() -> None:
    text = LocalizedText.parse({"en": "Hi", "pl": "Cześć", "pt-BR": "Oi"}, "x")
    assert text.in_language(["pl_PL", "pl", "en"]) == "Cześć"
    assert text.in_language(["pt_BR", "pt"]) == "Oi"
    assert text.in_language(["de", "de_AT"]) == "Hi"  # English before giving up
    assert LocalizedText.parse({"pl": "Cześć"}, "x").in_language(["de"]) == "Cześć"
    plain = LocalizedText.parse("Acme", "x")
    assert plain.in_language(["pl"]) == "Acme" and bool(plain)
    assert not LocalizedText.parse("", "x") and not LocalizedText.parse({}, "x")


@pytest.mark.parametrize(("value", "message"), [
    ({"polski": "x"}, r"\[branding\] footer: 'polski' is not a language code"),
    ({"pl": 3}, r"\[branding\] footer\.pl must be a string, not 3"),
    (3, r"\[branding\] footer must be a string or a table of strings by language"),
])
def test_a_bad_branding_text_is_an_error_naming_the_key(value: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_from_mapping({"branding": {"footer": value}})


def test_register_must_be_formal_or_informal() -> None:
    with pytest.raises(ConfigError, match=r"\[branding\] register must be one of formal, "
                                          r"informal, not 'casual'"):
        settings_from_mapping({"branding": {"register": "casual"}})


@pytest.mark.parametrize("language", ["en", "pl", "de"])
def test_branding_texts_are_in_the_mail_language(language: str) -> None:
    settings = settings_from_mapping({"desk": {"name": "Acme Support"}, "branding": {
        "signature": SIGNATURE, "header": {"pl": "Pomoc Acme", "en": "Acme help"},
        "footer": {"en": "You contacted Acme", "pl": "Skontaktowali się Państwo z Acme"},
        "agent_footer": "Internal"}})
    desk = renderer(**vars(branding_of(settings)))
    customer = desk.render("acknowledgment", sample_context("acknowledgment"),
                           language=language, timezone=None)
    agent = desk.render("agent_new_ticket", sample_context("agent_new_ticket"),
                        language=language, timezone=None)
    for part in (customer.text, customer.html):
        assert SIGNATURE[language] in part
        assert {"pl": "Pomoc Acme"}.get(language, "Acme help") in part
        assert {"pl": "Skontaktowali się Państwo z Acme"}.get(language,
                                                              "You contacted Acme") in part
        assert "Internal" not in part
    for part in (agent.text, agent.html):
        assert "Internal" in part  # agents get their footer, never the customers'
        assert "You contacted Acme" not in part and "Skontaktowali" not in part
    if language != "en":
        assert "Your Acme Support team" not in customer.text + customer.html


def test_a_desk_name_by_language_names_the_desk_in_the_text_too() -> None:
    names = LocalizedText.parse({"en": "Acme Support", "pl": "Wsparcie Acme"}, "x")
    mail = renderer(desk_name=names).render(
        "acknowledgment", sample_context("acknowledgment"), language="pl", timezone=None)
    assert "Dziękujemy za kontakt z zespołem Wsparcie Acme." in mail.text
    assert "Example Support" not in mail.text and "Acme Support" not in mail.html


@pytest.mark.parametrize(("register", "language", "named", "unnamed"), [
    ("formal", "en", "Hello Anna Kowalska,", "Hello,"),
    ("formal", "pl", "Dzień dobry,", "Dzień dobry,"),
    ("formal", "de", "Guten Tag,", "Guten Tag,"),
    ("informal", "en", "Hi Anna Kowalska,", "Hi,"),
    ("informal", "pl", "Cześć,", "Cześć,"),
    ("informal", "de", "Hallo Anna Kowalska,", "Hallo,"),
])
def test_customers_are_greeted_in_the_desks_register(register: str, language: str,
                                                     named: str, unnamed: str) -> None:
    desk = renderer(register=register)
    for name in ("acknowledgment", "status_changed", "duplicate_resolved",
                 "resolved_without_reply"):
        context = sample_context(name)
        context["customer"]["name"] = "Anna Kowalska"
        mail = desk.render(name, context, language=language, timezone=None)
        assert first_line(mail.text) == named, name
        assert f">{named}</p>" in mail.html, name
        context["customer"]["name"] = ""
        mail = desk.render(name, context, language=language, timezone=None)
        assert first_line(mail.text) == unnamed, name


def first_line(text: str) -> str:
    """The mail's first line below the "reply above this line" marker."""
    marker, _, rest = text.partition("\n\n")
    assert marker.startswith("##- ") and marker.endswith(" -##"), marker
    return rest.splitlines()[0]


def test_polish_and_german_customer_mails_keep_one_register() -> None:
    desk = renderer()
    for name in ("acknowledgment", "status_changed", "duplicate_resolved",
                 "resolved_without_reply"):
        polish = desk.render(name, sample_context(name), language="pl", timezone=None).text
        assert not re.search(r"\b(Twoj\w*|Ciebie|Cię|odpowiedz|potrzebujesz)\b", polish), name
        german = desk.render(name, sample_context(name), language="de", timezone=None).text
        assert not re.search(r"\b(du|dich|dir|dein\w*|Hallo)\b", german), name


@pytest.mark.parametrize(("language", "expected"), [
    ("pl", "Data przyjęcia: 27 marca 2026 10:30 (czas środkowoeuropejski standardowy)"),
    ("de", "Eingegangen am: 27. März 2026, 10:30 (Mitteleuropäische Normalzeit)"),
    ("en", "Received on: March 27, 2026, 10:30\u202fAM (Central European Standard Time)"),
])
def test_dates_have_the_day_written_out_and_no_seconds(language: str, expected: str) -> None:
    mail = renderer().render("acknowledgment", sample_context("acknowledgment"),
                             language=language, timezone="Europe/Warsaw")
    assert expected in mail.text
    assert not re.search(r"\d:\d\d:\d\d", mail.text + mail.html)


ROUTING = """request_types:
  - {name: access, title: {en: Access and accounts, pl: Dostępy i konta}}
  - {name: hardware}
"""


def test_request_types_have_titles_by_language_in_agents_mail() -> None:
    routing = parse_routing(ROUTING, teams=(), support_addresses=())
    assert routing.title_of("access") == {"en": "Access and accounts", "pl": "Dostępy i konta"}
    assert routing.title_of("hardware") == "hardware" and routing.title_of(None) is None
    context = sample_context("agent_new_ticket")
    context["ticket"].update(request_type="access", request_type_title=routing.title_of("access"))
    desk = renderer()
    text = {lang: desk.render("agent_new_ticket", context, language=lang, timezone=None).text
            for lang in ("pl", "de", "en")}
    assert "Typ zgłoszenia: Dostępy i konta" in text["pl"]
    assert "Anfragetyp: Access and accounts" in text["de"]  # no German title: English
    assert "Request type: Access and accounts" in text["en"]


@pytest.mark.parametrize(("change", "message"), [
    (("pl: Dostępy", "polski: Dostępy"), r"rules/routing\.yaml:2: 'polski' is not a language"),
    (("{en: Access and accounts, pl: Dostępy i konta}", "[Access]"),
     r"rules/routing\.yaml:2: .*a title, or titles by language"),
    (("{name: hardware}", "{name: hardware, tytul: Sprzęt}"),
     r"rules/routing\.yaml:3: unknown key 'tytul'"),
])
def test_a_bad_title_names_file_and_line(change: tuple[str, str], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse_routing(ROUTING.replace(*change), teams=(), support_addresses=())


def test_a_status_named_by_language(tmp_path: Path) -> None:
    (tmp_path / "statuses.yaml").write_text(
        "statuses:\n  - {name: new, public: Received}\n"
        "  - {name: on_hold, public: {en: On hold, pl: Wstrzymane, de: Angehalten}, "
        "kind: paused}\n", encoding="utf-8")
    book = load_statuses(tmp_path)
    assert book.public_name("on_hold") == "On hold"  # queues, views: the English name
    assert book.public_title("on_hold") == {"en": "On hold", "pl": "Wstrzymane",
                                            "de": "Angehalten"}
    assert book.public_title("new") == "Received"  # translated by the catalogs
    context = sample_context("status_changed")
    context["ticket"]["public_status"] = book.public_title("on_hold")
    context["change"].update(new=book.public_title("on_hold"), kind="paused")
    mail = renderer().render("status_changed", context, language="pl", timezone=None)
    assert mail.subject.endswith(": Wstrzymane")
    assert "Nowy status: Wstrzymane" in mail.text and "On hold" not in mail.text


def test_no_due_line_without_a_due_time() -> None:
    context = sample_context("agent_new_ticket")
    context["ticket"]["sla_due"] = None
    text = renderer().render("agent_new_ticket", context, language="pl", timezone=None).text
    assert "Termin" not in text and "brak celu SLA" not in text
    context["ticket"]["sla_due"] = datetime(2026, 3, 30, 9, 30, tzinfo=UTC)
    text = renderer().render("agent_new_ticket", context, language="pl", timezone=None).text
    assert "Termin: 30 marca 2026 09:30 (uniwersalny czas koordynowany)" in text


def test_check_wants_no_catalog_entry_for_a_status_named_by_language(tmp_path: Path) -> None:
    from postdesk.config.settings import Settings
    from postdesk.notify.checks import check_statuses

    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "statuses.yaml").write_text(
        "statuses:\n  - {name: new, public: Received}\n"
        "  - {name: on_hold, public: {en: On hold, pl: Wstrzymane}, kind: paused}\n",
        encoding="utf-8")
    warnings = check_statuses(Settings(base_dir=tmp_path)).warnings
    assert not any("no pl translation" in w for w in warnings)  # the file names it in Polish
    assert any("public name 'On hold' has no de translation" in w for w in warnings)
