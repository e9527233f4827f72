"""The ticket page's SLA promise in customer terms, on a real `postdesk serve` (SQLite).

The example desk's standard policy answers first within 4 business hours and
then within 8: the page says so while the customer waits for us, in their
language, and promises nothing while we wait for them.
"""

from __future__ import annotations

import aiohttp
import pytest

from mailbuild import customer_mail, mails_to, processed, send_mail, wait_for
from web.page_client import CUSTOMER, first_acknowledgment, page_link, postdesk
from web.test_ticket_page import browse


@pytest.fixture
def desk(make_settings, database_url, start_daemon):
    """On SQLite and PostgreSQL: the page reads the SLA policy with the ticket."""
    return start_daemon(make_settings(database_url))


def page_text(link: str) -> str:
    async def visit(client: aiohttp.ClientSession) -> str:
        async with client.get(link) as page:
            return await page.text()

    return browse(visit)


def test_the_page_promises_the_first_then_the_next_response_target(desk):
    link = page_link(first_acknowledgment(desk))
    assert "We answer within 4 business hours." in page_text(link)

    answered = postdesk(desk.settings, "ticket", "reply", "1", "Please unplug it.")
    assert answered.returncode == 0, answered.stderr
    assert "We answer within" not in page_text(link)  # waiting for the customer

    send_mail(desk, customer_mail(subject="Re: [#1] Printer on fire", body="Done, now what?\n",
                                  message_id="<again@customer.example>"))
    wait_for(processed(2))
    assert "We answer within 8 business hours." in page_text(link)


def test_a_polish_customer_reads_the_promise_in_polish(desk):
    send_mail(desk, customer_mail(subject="Drukarka się pali",
                                  body="Dzień dobry,\nmoja drukarka się pali i dymi.\n"))
    link = page_link(wait_for(lambda: mails_to(desk, CUSTOMER))[0])
    assert "Odpowiadamy w ciągu 4 godzin roboczych." in page_text(link)


def test_no_promise_when_the_desk_does_not_enable_it(make_settings, sqlite_url, start_daemon):
    desk = start_daemon(make_settings(sqlite_url, web_sla_promise="false"))
    assert "We answer within" not in page_text(page_link(first_acknowledgment(desk)))
