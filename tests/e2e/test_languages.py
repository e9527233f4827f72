"""Each customer is answered in their own language and time zone (issue 6), over SMTP."""

from __future__ import annotations

import smtplib
from datetime import UTC

from mailbuild import customer_mail, read_outgoing, wait_for
from postdesk.store.models import Customer
from postdesk.tickets.locale_guess import guess_timezone


def acknowledgment_for(daemon, **mail) -> tuple[object, str]:
    host, port = daemon.address
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.send_message(customer_mail(**mail))
    [ack] = wait_for(lambda: read_outgoing(daemon.outgoing))
    return ack, ack.get_body(("plain",)).get_content()


def test_polish_customer_gets_a_polish_acknowledgment_in_warsaw_time(make_settings, sqlite_url,
                                                                      start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    ack, text = acknowledgment_for(
        daemon, subject="Drukarka nie działa",
        headers={"Content-Language": "pl", "Date": "Sun, 22 Nov 2026 12:00:00 +0100"})
    assert ack["Content-Language"] == "pl"
    assert ack["Subject"] == "[#1] Drukarka nie działa"
    assert "Dziękujemy za kontakt" in text and "Aktualny status: Przyjęte" in text
    assert "czas środkowoeuropejski" in text
    html = ack.get_body(("html",)).get_content()
    assert 'lang="pl"' in html and "Przyjęte" in html
    customer = Customer.get()
    assert (customer.language, customer.timezone) == ("pl", "Europe/Warsaw")


def test_german_customer_gets_a_german_acknowledgment(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    ack, text = acknowledgment_for(
        daemon, subject="Drucker defekt",
        headers={"Accept-Language": "de-DE, de;q=0.9, en;q=0.5"})
    assert ack["Content-Language"] == "de"
    assert "Eingegangen" in text or "eingegangen" in text
    assert "Thank you" not in text


def test_unknown_language_falls_back_to_the_desk_default(make_settings, sqlite_url,
                                                         start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    ack, text = acknowledgment_for(daemon, headers={"Content-Language": "tlh"})
    assert ack["Content-Language"] == "en" and "Thank you for contacting" in text


def test_time_zone_is_taken_only_when_the_offset_agrees() -> None:
    from datetime import datetime, timedelta, timezone

    winter = datetime(2026, 1, 10, 9, tzinfo=timezone(timedelta(hours=1)))
    summer = datetime(2026, 7, 10, 9, tzinfo=timezone(timedelta(hours=2)))
    assert guess_timezone("pl", winter, "UTC") == "Europe/Warsaw"
    assert guess_timezone("pl", summer, "UTC") == "Europe/Warsaw"
    assert guess_timezone("pl", winter.replace(tzinfo=UTC), "UTC") == "UTC"
    assert guess_timezone("de_DE", summer, "UTC") == "Europe/Berlin"
    assert guess_timezone("en", winter, "Europe/London") == "Europe/London"
    assert guess_timezone("pl", None, "UTC") == "UTC"


def test_language_of_the_text_when_the_headers_say_nothing(make_settings, sqlite_url,
                                                           start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    ack, text = acknowledgment_for(
        daemon, subject="Drucker", body="Guten Tag, mein Drucker druckt seit heute Morgen "
                                        "nur noch leere Seiten. Können Sie mir helfen?\n")
    assert ack["Content-Language"] == "de" and "Thank you" not in text
    assert Customer.get().language == "de"


def test_detection_only_decides_when_sure() -> None:
    from postdesk.tickets.locale_guess import detect_language, guess_language

    shipped = ("de", "en", "pl")
    assert detect_language("Dzień dobry, moja drukarka nie drukuje od rana.", shipped) == "pl"
    assert detect_language("ok thanks", shipped) is None  # too short to tell
    assert detect_language("Dzień dobry, moja drukarka nie drukuje.", ("en",)) is None
    assert guess_language(("fr",), "en", text="Guten Tag, mein Drucker ist kaputt, bitte helfen",
                          shipped=shipped) == "fr"  # what the mail declares wins
