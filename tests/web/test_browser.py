"""The ticket page in a real browser: headless Chromium (Debian's), driven by Playwright.

From the acknowledgment in the outgoing folder: open the link -> the token
leaves the address bar -> the page shows the thread without the internal note
-> a reply typed in the box lands on the ticket -> "This is solved" resolves it.
The page of a Polish customer is in Polish. Screenshots go to
``test-artifacts/web/`` (or ``$POSTDESK_TEST_ARTIFACTS/web/``) for a reviewer.
Skipped locally without Chromium or Playwright; a failure under CI=true.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import require_service
from mailbuild import customer_mail, mails_to, processed, send_mail, wait_for
from web.page_client import CUSTOMER, first_acknowledgment, page_link, postdesk

ARTIFACTS = Path(os.environ.get("POSTDESK_TEST_ARTIFACTS",
                                Path(__file__).resolve().parents[2] / "test-artifacts")) / "web"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service("playwright", "pip install playwright (the dev extra)")
    if not Path(CHROMIUM).exists():
        require_service("chromium", "apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    return start_daemon(make_settings(sqlite_url))


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_customer_opens_the_link_reads_replies_and_marks_it_solved(desk, browser):
    link = page_link(first_acknowledgment(desk))
    assert postdesk(desk.settings, "ticket", "note", "1", "VIP: refund quietly").returncode == 0
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.goto(link)
    assert page.url.endswith("/ticket/1")  # the token left the address bar
    assert page.locator("h1").inner_text() == "Printer on fire"
    assert "my printer is on fire." in page.locator("main").inner_text()
    assert "VIP" not in page.content()
    assert page.locator(".status").inner_text() == "Received"
    page.fill("textarea[name=text]", "It is still smoking.\nPlease hurry.")
    shot(page, "ticket-page-en")
    page.click("text=Send reply")
    assert "Your reply was sent" in page.locator(".notice").inner_text()
    wait_for(processed(2))
    page.reload()
    assert "It is still smoking." in page.locator("main").inner_text()
    page.click("text=This is solved")
    assert "marked your request as solved" in page.locator(".notice").inner_text()
    assert page.locator(".status").inner_text() == "Resolved"
    assert page.locator("button", has_text="Reopen").count() == 1
    assert shot(page, "ticket-page-en-solved").stat().st_size > 10_000
    assert errors == []  # nothing the CSP blocked (no inline style or script)


def test_polish_customer_sees_the_page_in_polish(desk, browser):
    send_mail(desk, customer_mail(
        subject="Drukarka się pali", body="Dzień dobry,\nmoja drukarka się pali. Proszę o "
        "pomoc, to bardzo pilne.\n", headers={"Content-Language": "pl"}))
    mail = wait_for(lambda: mails_to(desk, CUSTOMER))[0]
    page = browser.new_page()
    page.goto(page_link(mail))
    assert page.locator("html").get_attribute("lang") == "pl"
    assert "Wyślij odpowiedź" in page.locator("main").inner_text()
    assert "Sprawa rozwiązana" in page.locator("main").inner_text()
    shot(page, "ticket-page-pl")
