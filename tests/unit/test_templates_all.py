"""Every mail Postdesk sends, rendered in en, pl and de from its sample context."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from postdesk.config.settings import Settings
from postdesk.notify.checks import _name_the_object, check_templates, mail_names
from postdesk.notify.render import RenderedEmail, Renderer, default_locale_dir, default_template_dir
from postdesk.notify.samples import SAMPLES, sample_context
from postdesk.tickets.statuses import DEFAULT_BOOK

LANGUAGES = ("en", "pl", "de")
CUSTOMER_MAILS = ("acknowledgment", "agent_reply", "status_changed", "duplicate_resolved",
                  "resolved_without_reply")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer([default_template_dir()], [default_locale_dir()])


def render(renderer: Renderer, name: str, language: str, context: dict[str, Any] | None = None,
           timezone: str | None = "Europe/Warsaw") -> RenderedEmail:
    return renderer.render(name, context or sample_context(name), language=language,
                           timezone=timezone)


def everything(mail: RenderedEmail) -> str:
    return "\n".join((mail.subject, mail.text, html.unescape(mail.html)))


def english_fragments(language: str) -> list[str]:
    """Literal pieces of each English msgid that its translation does not contain."""
    with (default_locale_dir() / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=language)
    fragments = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            for piece in PLACEHOLDER.split(msgid):
                piece = piece.strip(" :.,;()")
                if len(piece) >= 6 and not any(piece in s for s in strings):
                    fragments.append(piece)
    return fragments


def test_every_shipped_mail_has_a_sample_and_all_parts() -> None:
    assert mail_names([default_template_dir()]) == set(SAMPLES)
    for name in SAMPLES:
        for part in ("subject", "txt", "html"):
            assert (default_template_dir() / "email" / f"{name}.{part}.j2").is_file()


#: Mails about the desk rather than one ticket.
DESK_MAILS = ("queue_digest", "kpi_report", "page_links", "reports_sign_in")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_renders_complete_mail(renderer: Renderer, name: str, language: str) -> None:
    mail = render(renderer, name, language)
    assert mail.language == language
    assert mail.content_language == language
    if name in DESK_MAILS:  # about no single ticket: a [#n] tag would thread replies to one
        assert not mail.subject.startswith("[#") and "#1042" not in mail.subject
    else:
        assert mail.subject.startswith("[#")
    assert "\n" not in mail.subject
    assert mail.text.strip()
    assert mail.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}"' in mail.html
    assert "%(" not in everything(mail)


@pytest.mark.parametrize("language", ["pl", "de"])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_no_english_left_in_translated_mail(renderer: Renderer, name: str, language: str) -> None:
    fragments = english_fragments(language)
    assert "Reply to this email to answer the customer; the answer goes out from" in fragments
    rendered = everything(render(renderer, name, language))
    leftovers = [f for f in fragments if f in rendered]
    assert not leftovers, f"{name} in {language} has English text: {leftovers}"


def test_english_mail_uses_english(renderer: Renderer) -> None:
    mail = render(renderer, "agent_new_ticket", "en")
    assert mail.subject == "[#1042] New ticket: Printer on the 2nd floor prints blank pages"
    assert "Priority: High" in mail.text
    assert "Current status: Received (internal: new)" in mail.text


def with_attachments(count: int) -> dict[str, Any]:
    context = sample_context("agent_new_ticket")
    context["message"]["attachments"] = [{"filename": f"f{i}.txt", "size": 1}
                                         for i in range(count)]
    return context


@pytest.mark.parametrize(("count", "polish", "german"), [
    (1, "1 załącznik:", "1 Anhang:"),
    (2, "2 załączniki:", "2 Anhänge:"),
    (5, "5 załączników:", "5 Anhänge:"),
    (22, "22 załączniki:", "22 Anhänge:"),
])
def test_attachment_count_plurals(renderer: Renderer, count: int, polish: str,
                                  german: str) -> None:
    assert polish in render(renderer, "agent_new_ticket", "pl", with_attachments(count)).text
    assert german in render(renderer, "agent_new_ticket", "de", with_attachments(count)).text
    html_part = render(renderer, "agent_new_ticket", "pl", with_attachments(count)).html
    assert html_part.count("<li>") == count


def test_no_attachments_no_heading(renderer: Renderer) -> None:
    text = render(renderer, "agent_new_ticket", "pl", with_attachments(0)).text
    assert "załącz" not in text


@pytest.mark.parametrize(("days", "polish"), [
    (1, "od 1 dnia nie"), (2, "od 2 dni nie"), (5, "od 5 dni nie"), (22, "od 22 dni nie"),
])
def test_waiting_days_plurals(renderer: Renderer, days: int, polish: str) -> None:
    context = sample_context("resolved_without_reply")
    context["inactivity"]["days"] = days
    assert polish in render(renderer, "resolved_without_reply", "pl", context).text
    english = render(renderer, "resolved_without_reply", "en", context).text
    assert (f"for {days} day," if days == 1 else f"for {days} days,") in english


@pytest.mark.parametrize(("count", "polish"), [
    (1, "zawiera polecenie, którego"), (2, "zawiera 2 polecenia, których"),
    (5, "zawiera 5 poleceń, których"), (22, "zawiera 22 polecenia, których"),
])
def test_command_error_plurals(renderer: Renderer, count: int, polish: str) -> None:
    context = sample_context("command_error")
    context["problems"] = [{"line": f"#bad{i}", "problem": "this command needs a value",
                            "params": {}} for i in range(count)]
    mail = render(renderer, "command_error", "pl", context)
    assert polish in mail.text
    assert mail.text.count("to polecenie wymaga podania wartości") == count


def test_command_problem_is_translated_with_its_parameters(renderer: Renderer) -> None:
    text = render(renderer, "command_error", "de").text
    assert "#priority highest" in text
    assert "unbekannte Priorität „highest“; verfügbare Prioritäten: low, normal, high, urgent" \
        in text


def with_dates(created: datetime, due: datetime | None) -> dict[str, Any]:
    context = sample_context("agent_new_ticket")
    context["ticket"].update(created_at=created, sla_due=due)
    return context


def test_dates_follow_the_recipient_zone_across_the_spring_change(renderer: Renderer) -> None:
    # EU summer time starts 2026-03-29 01:00 UTC: Warsaw is UTC+1 before, UTC+2 after.
    ack = render(renderer, "acknowledgment", "pl")  # created 2026-03-27 09:30 UTC
    assert "27 marca 2026 10:30 (czas środkowoeuropejski standardowy)" in ack.text
    mail = render(renderer, "agent_new_ticket", "pl")  # due 2026-03-30 09:30 UTC
    assert "Termin: 30 marca 2026 11:30 (czas środkowoeuropejski letni)" in mail.text
    german = render(renderer, "agent_new_ticket", "de")
    assert "Fällig: 30. März 2026, 11:30 (Mitteleuropäische Sommerzeit)" in german.text


def test_dates_follow_the_recipient_zone_across_the_autumn_change(renderer: Renderer) -> None:
    # EU summer time ends 2026-10-25 01:00 UTC; New York changes a week later.
    context = with_dates(datetime(2026, 10, 24, 12, 0, tzinfo=UTC),
                         datetime(2026, 10, 26, 12, 0, tzinfo=UTC))
    warsaw = render(renderer, "agent_new_ticket", "en", context).text
    assert "Due: October 26, 2026, 1:00\u202fPM (Central European Standard Time)" in warsaw
    new_york = render(renderer, "agent_new_ticket", "en", context, "America/New_York").text
    assert "Due: October 26, 2026, 8:00\u202fAM (Eastern Daylight Time)" in new_york
    utc = render(renderer, "agent_new_ticket", "en", context, None).text
    assert "Due: October 26, 2026, 12:00\u202fPM (" in utc


def test_no_sla_due_time(renderer: Renderer) -> None:
    context = with_dates(datetime(2026, 1, 5, 8, 0, tzinfo=UTC), None)
    context["ticket"].update(request_type=None, request_type_title=None)
    text = render(renderer, "agent_new_ticket", "pl", context).text
    assert "Termin" not in text  # no due time, no due line (a paused clock has none either)
    assert "SLA" not in text
    assert "Typ zgłoszenia: nie określono" in text


@pytest.mark.parametrize(("language", "subject", "left"), [
    ("en", "SLA warning: First response due in 3 hours", "Time left: 3 hours, 15 minutes"),
    ("pl", "Ostrzeżenie SLA: Pierwsza odpowiedź – termin upływa za 3 godziny",
     "Pozostało: 3 godziny i 15 minut"),
    ("de", "SLA-Warnung: Erste Antwort fällig in 3 Stunden",
     "Verbleibende Zeit: 3 Stunden, 15 Minuten"),
])
def test_sla_warning_remaining_time(renderer: Renderer, language: str, subject: str,
                                    left: str) -> None:
    mail = render(renderer, "sla_warning", language)
    assert mail.subject == f"[#1042] {subject}"
    assert left in mail.text


def test_sla_warning_relative_time_uses_babel_plurals(renderer: Renderer) -> None:
    context = sample_context("sla_warning")
    context["sla"]["warned_at"] = context["sla"]["due_at"] - timedelta(minutes=22)
    assert render(renderer, "sla_warning", "pl", context).subject.endswith("za 22 minuty")
    context["sla"]["warned_at"] = context["sla"]["due_at"] - timedelta(hours=5, minutes=59)
    assert render(renderer, "sla_warning", "pl", context).subject.endswith("za 5 godzin")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", DEFAULT_BOOK.statuses, ids=lambda s: s.name)
def test_customers_see_public_status_names_only(renderer: Renderer, language: str,
                                                status: Any) -> None:
    translated = {"en": {}, "pl": {"Received": "Przyjęte", "In progress": "W trakcie realizacji",
                                   "Waiting for your reply": "Oczekuje na odpowiedź",
                                   "Resolved": "Rozwiązane", "Closed": "Zamknięte"},
                  "de": {"Received": "Eingegangen", "In progress": "In Bearbeitung",
                         "Waiting for your reply": "Wartet auf Ihre Antwort",
                         "Resolved": "Gelöst", "Closed": "Geschlossen"}}[language]
    expected = translated.get(status.public, status.public)
    for name in CUSTOMER_MAILS:
        context = sample_context(name)
        context["ticket"].update(status=status.name, public_status=status.public)
        if name == "status_changed":
            context["change"].update(new=status.public, kind=status.kind)
        mail = render(renderer, name, language, context)
        assert expected in mail.text, name
        if "_" in status.name or language != "en":  # "closed" is also an English word
            for part in (mail.subject, mail.text, mail.html):
                assert not re.search(rf"\b{status.name}\b", part), name


def test_status_changed_explains_a_closed_ticket(renderer: Renderer) -> None:
    closed = render(renderer, "status_changed", "pl").text
    assert "Poprzedni status: W trakcie realizacji" in closed
    assert "Zgłoszenie #1042 ma teraz status „Rozwiązane”." in closed
    assert "ponownie otworzymy zgłoszenie" in closed
    context = sample_context("status_changed")
    context["change"].update(new="Waiting for your reply", kind="paused")
    waiting = render(renderer, "status_changed", "pl", context)
    assert waiting.subject.endswith(": Oczekuje na odpowiedź")
    assert "ponownie otworzymy" not in waiting.text


STATUS_WORDS = {"en": {"closed": "Resolved", "reopened": "In progress",
                       "paused": "Waiting for your reply"},
                "pl": {"closed": "Rozwiązane", "reopened": "W trakcie realizacji",
                       "paused": "Oczekuje na odpowiedź"},
                "de": {"closed": "Gelöst", "reopened": "In Bearbeitung",
                       "paused": "Wartet auf Ihre Antwort"}}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["closed", "reopened", "paused"])
def test_status_changed_names_the_new_status_once(renderer: Renderer, language: str,
                                                  kind: str) -> None:
    """The facts box and the outcome below it said the same thing twice ("New status:
    Resolved" and then "Your ticket is now marked as Resolved"; "New status" and then
    "Current status")."""
    context = sample_context("status_changed")
    new = STATUS_WORDS["en"][kind]
    context["change"].update(new=new, kind=kind, old="Received")
    mail = render(renderer, "status_changed", language, context)
    word = STATUS_WORDS[language][kind]
    assert mail.text.count(word) == 1, mail.text
    visible = re.sub(r"<[^>]+>", " ", mail.html.split("</head>")[-1])
    visible = re.sub(r'<div style="display:none.*?</div>', "", visible)
    assert html.unescape(visible).count(word) <= 2, visible  # preheader + the mail
    assert mail.text.count("#1042") == 1, mail.text


@pytest.mark.parametrize(("language", "written", "not_written"), [
    ("en", "March 27, 2026", "3/27/26"),
    ("pl", "27 marca 2026", "27.03.2026"),
    ("de", "27. März 2026", "27.03.26"),
])
def test_thread_dates_read_like_the_other_dates(renderer: Renderer, language: str,
                                                written: str, not_written: str) -> None:
    """The earlier messages were dated "3/27/26, 10:30 AM" / "27.03.26, 10:30" beside a
    "Due: March 30, 2026" in the same mail: one way of writing a day per mail."""
    mail = render(renderer, "agent_customer_replied", language)
    history = mail.text[mail.text.index("---", mail.text.index("1042") + 200):]
    assert written in history and not_written not in mail.text
    assert written in mail.html and not_written not in mail.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_sla_warning_gives_the_due_time_once(renderer: Renderer, language: str) -> None:
    """The warning's own "Due:" line and the ticket facts' "Due:" line below it showed the
    same moment twice ("Termin: 30 marca 2026 11:30 ..." twice in one short mail)."""
    mail = render(renderer, "sla_warning", language)
    assert mail.text.count("11:30") == 1, mail.text
    assert mail.html.split("</head>")[-1].count("11:30") == 1
    context = sample_context("sla_warning")  # another clock: its own due time and the ticket's
    context["sla"]["due_at"] = context["ticket"]["sla_due"] + timedelta(hours=2)
    other = render(renderer, "sla_warning", language, context)
    later = r"(?<!\d)1:30" if language == "en" else "13:30"  # 1:30 PM
    assert other.text.count("11:30") == 1 and len(re.findall(later, other.text)) == 1, other.text


def test_duplicate_notice_names_only_the_original_id(renderer: Renderer) -> None:
    text = render(renderer, "duplicate_resolved", "de").text
    assert "Ihr Ticket #1047 betrifft dasselbe Problem wie das Ticket #1042" in text


def test_agent_mail_escapes_customer_input(renderer: Renderer) -> None:
    context = sample_context("agent_new_ticket")
    context["customer"]["name"] = "<b>Eve</b>"
    context["message"]["text"] = "<script>alert(1)</script>"
    mail = render(renderer, "agent_new_ticket", "en", context)
    assert "<script>" not in mail.html and "<b>Eve" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "<script>alert(1)</script>" in mail.text


def test_internal_note_says_it_is_internal(renderer: Renderer) -> None:
    mail = render(renderer, "internal_note", "pl")
    assert mail.subject.startswith("[#1042] Notatka wewnętrzna: ")
    assert "Klient jej nie widzi." in mail.text
    assert "The fuser unit is under warranty" in mail.text


def test_agent_reply_carries_the_agent_text_whole(renderer: Renderer) -> None:
    context = sample_context("agent_reply")
    context["message"]["text"] = "\n".join(f"line {i}" for i in range(40))
    text = render(renderer, "agent_reply", "pl", context).text
    assert "line 39" in text
    assert "Aktualny status: Oczekuje na odpowiedź" in text


def test_error_names_the_object_from_the_template_line() -> None:
    line = '{{ ticket.sujbect|trim }}'
    assert _name_the_object("'dict object' has no attribute 'sujbect'", line) == \
        "'ticket' has no attribute 'sujbect'"
    assert _name_the_object("'x' is undefined", line) == "'x' is undefined"


def test_template_check_passes_for_the_shipped_templates(tmp_path: Path) -> None:
    result = check_templates(Settings(base_dir=tmp_path))
    assert result.ok, result.errors
    assert result.summary == "templates: 17 mails rendered in de, en, pl (51 renders)"
