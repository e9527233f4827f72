"""More of the ticket page in a real browser (Chromium via Playwright): a reply with a
file, "open another request", the page in Polish and German with the SLA promise,
and agents' /reports refused without sign-in and shown after the mailed link.
Screenshots go to ``test-artifacts/web/`` beside those of test_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mailbuild import customer_mail, mails_to, processed, send_mail, wait_for
from web.page_client import CUSTOMER, first_acknowledgment, page_link
from web.test_browser import browser, shot  # noqa: F401  (the fixture)

AGENT = "agent.en@example.com"


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(
        f"teams:\n  - name: support\n    agents:\n      - {{email: {AGENT}, name: Anna}}\n")
    return start_daemon(settings)


def watched_page(browser):  # noqa: F811
    """A new tab that collects console errors (a CSP violation is one)."""
    page = browser.new_page(viewport={"width": 900, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    return page, errors


def ticket_request_types() -> list[tuple[int, str | None]]:
    from postdesk.store.db import database
    from postdesk.store.models import Ticket

    with database.connection_context():
        return [(t.id, t.request_type) for t in Ticket.select().order_by(Ticket.id)]


def test_a_reply_with_a_file_shows_on_the_ticket(desk, browser, tmp_path):  # noqa: F811
    link = page_link(first_acknowledgment(desk))
    report = tmp_path / "smoke report.txt"
    report.write_text("Smoke since 9:00.\n", encoding="utf-8")
    page, errors = watched_page(browser)
    page.goto(link)
    assert "We answer within 4 business hours." in page.locator(".promise").inner_text()
    page.fill("textarea[name=text]", "The report is attached.")
    page.set_input_files("#files", str(report))
    page.click("text=Send reply")
    assert "Your reply was sent" in page.locator(".notice").inner_text()
    wait_for(processed(2))
    page.reload()
    files = page.locator("ul.files a")
    assert files.count() == 1 and files.inner_text() == "smoke report.txt"
    shot(page, "ticket-page-with-file")
    with page.expect_download() as download:
        files.click()
    assert Path(download.value.path()).read_text(encoding="utf-8") == "Smoke since 9:00.\n"
    assert errors == []


def test_open_another_request_with_its_type(desk, browser):  # noqa: F811
    link = page_link(first_acknowledgment(desk))
    page, errors = watched_page(browser)
    page.goto(link)
    page.click("text=Open another request")
    assert page.url.endswith("/ticket/1/new")
    cards = page.locator("label.type")
    assert cards.count() == 5 and cards.locator("svg.icon").count() == 5
    page.click("label.type:has-text('Hardware')")
    page.fill("#subject", "Docking station dead")
    page.fill("#text", "The docking station on desk 12 does not power on.")
    shot(page, "new-request-en")
    page.click("text=Send request")
    assert page.url.endswith("/ticket/1?done=requested")
    assert "Your new request was sent" in page.locator(".notice").inner_text()
    wait_for(processed(2))
    assert ticket_request_types()[1] == (2, "hardware")
    wait_for(lambda: [m for m in mails_to(desk, CUSTOMER) if "[#2]" in m["Subject"]])
    assert errors == []


@pytest.mark.parametrize(("language", "subject", "body", "words"), [
    ("pl", "Drukarka się pali", "Dzień dobry,\nmoja drukarka się pali. Proszę o pomoc.\n",
     ("Odpowiadamy w ciągu 4 godzin roboczych.", "Załącz pliki", "Utwórz nowe zgłoszenie")),
    ("de", "Der Drucker brennt", "Guten Tag,\nmein Drucker brennt. Bitte helfen Sie mir.\n",
     ("Wir antworten innerhalb von 4 Geschäftsstunden.", "Dateien anhängen",
      "Neue Anfrage stellen")),
])
def test_the_page_and_the_request_form_in_polish_and_german(desk, browser, language,  # noqa: F811
                                                            subject, body, words):
    send_mail(desk, customer_mail(subject=subject, body=body,
                                  headers={"Content-Language": language}))
    page, errors = watched_page(browser)
    page.goto(page_link(wait_for(lambda: mails_to(desk, CUSTOMER))[0]))
    assert page.locator("html").get_attribute("lang") == language
    text = page.locator("main").inner_text()
    for word in words:
        assert word in text, word
    assert "We answer" not in text and "Attach files" not in text
    shot(page, f"ticket-page-{language}")
    page.click(f"text={words[2]}")
    form = page.locator("main").inner_text()
    assert "Open another request" not in form and "Subject" not in form
    shot(page, f"new-request-{language}")
    assert errors == []


def test_reports_are_refused_without_sign_in_and_shown_after_the_mailed_link(
        desk, browser):  # noqa: F811
    first_acknowledgment(desk)
    base = f"http://{desk.settings.web.listen}"
    page, errors = watched_page(browser)
    answer = page.goto(f"{base}/reports")
    assert answer.status == 403
    assert "KPIs" not in page.content()
    shot(page, "reports-refused")
    errors.clear()  # the browser logs the 403 itself
    page.click("text=Sign in to the reports")
    page.fill("#email", AGENT)
    page.click("text=Send me a sign-in link")
    assert "If this is an agent address" in page.locator(".notice").inner_text()
    mail = wait_for(lambda: [m for m in mails_to(desk, AGENT) if "sign-in" in m["Subject"]])[0]
    link = re.search(r"http://\S+/reports/session/\S+", mail.get_body(("plain",)).get_content())
    page.goto(link.group(0))
    assert page.url == f"{base}/reports"
    assert page.locator("h1").inner_text() == "KPIs by team"
    shot(page, "reports-kpi")
    page.select_option("select[name=by]", "agent")
    page.fill("input[name=since]", "2020-01-01")
    page.click("text=Show")
    assert page.url == f"{base}/reports?since=2020-01-01&until=&by=agent"
    assert page.locator("h1").inner_text() == "KPIs by agent"
    assert page.locator("select[name=by]").input_value() == "agent"
    assert errors == []  # the report's own style block is allowed, nothing else inline


def test_an_expired_link_leads_to_send_me_a_new_link(desk, browser):  # noqa: F811
    from postdesk.mail.page_token import PageToken, make_token

    first_acknowledgment(desk)
    base = f"http://{desk.settings.web.listen}"
    expired = make_token(desk.settings.desk.secret, PageToken(1, 1, 0, 1_000_000_000))
    page, _errors = watched_page(browser)
    assert page.goto(f"{base}/t/{expired}").status == 410
    page.click("text=Send me a new link")
    assert page.url == f"{base}/link"
    page.fill("#email", CUSTOMER)
    shot(page, "new-link-form")
    page.click("button:has-text('Send me a new link')")
    assert "If this address has open requests" in page.locator(".notice").inner_text()
    shot(page, "new-link-sent")
    wait_for(lambda: [m for m in mails_to(desk, CUSTOMER)
                      if m["Subject"] == "New links to your requests"])
