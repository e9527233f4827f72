""""Send me a new link" on a real `postdesk serve` (SQLite, SMTP in, maildir out).

A customer's address gets a mail with working links to their open tickets; an
unknown address gets the very same page and no mail; a POST without the CSRF
token is refused, and one IP address is held to `[web] link_requests_per_ip`.
"""

from __future__ import annotations

import time

import aiohttp
import pytest

from mailbuild import mails_to, read_outgoing, wait_for
from web.page_client import CUSTOMER, LINK, first_acknowledgment
from web.test_ticket_page import CSRF, browse


@pytest.fixture
def desk(make_settings, database_url, start_daemon):
    """On SQLite and PostgreSQL: the customer's open tickets are looked up in the store."""
    return start_daemon(make_settings(database_url, web_link_requests_per_ip=3))


def ask(desk, addresses: list[str], *, csrf: bool = True) -> list[tuple[int, str, str]]:
    base = f"http://{desk.settings.web.listen}"

    async def visit(client: aiohttp.ClientSession) -> list[tuple[int, str, str]]:
        async with client.get(f"{base}/link") as page:
            token = CSRF.search(await page.text()).group(1)
        answers = []
        for address in addresses:
            data = {"email": address, **({"csrf": token} if csrf else {})}
            async with client.post(f"{base}/link", data=data) as answer:
                answers.append((answer.status, str(answer.url), await answer.text()))
        return answers

    return browse(visit)


def test_a_customer_gets_fresh_links_and_a_stranger_the_same_page_and_nothing(desk):
    first_acknowledgment(desk)
    before = len(read_outgoing(desk.outgoing))
    (known, unknown) = ask(desk, [CUSTOMER.upper(), "nobody@elsewhere.example"])
    assert known[0] == unknown[0] == 200
    assert known[1].endswith("/link?done=sent") and unknown[1].endswith("/link?done=sent")
    assert known[2] == unknown[2]  # the same answer, word for word
    assert "If this address has open requests with us" in known[2]

    links_mail = wait_for(lambda: [m for m in mails_to(desk, CUSTOMER)
                                   if m["Subject"] == "New links to your requests"])[0]
    assert links_mail["Auto-Submitted"] == "auto-replied"
    text = links_mail.get_body(("plain",)).get_content()
    assert "#1 Printer on fire" in text
    link = LINK.search(text).group(0)

    async def follow(client: aiohttp.ClientSession) -> int:
        async with client.get(link, allow_redirects=False) as answer:
            return answer.status

    assert browse(follow) == 303
    time.sleep(0.5)  # the stranger's request ran too: it sent nothing
    assert len(read_outgoing(desk.outgoing)) == before + 1
    assert mails_to(desk, "nobody@elsewhere.example") == []


def test_no_csrf_is_refused_and_one_address_is_held_to_the_hourly_limit(desk):
    assert ask(desk, ["a@example.org"], csrf=False)[0][0] == 403  # counts for nothing
    malformed, *others = ask(desk, ["not an address", "x1@example.org", "x2@example.org",
                                    "x3@example.org"])
    assert malformed[0] == 400 and "Please enter an email address" in malformed[2]
    assert [status for status, _, _ in others] == [200, 200, 429]
    assert "Too many requests" in others[2][2]
