"""File sizes on the ticket page in the customer's language (Babel's digits and units,
not Jinja's English-only `filesizeformat`), on a real `postdesk serve` (SQLite)."""

from __future__ import annotations

import aiohttp
import pytest

from mailbuild import customer_mail, processed, send_mail, wait_for
from web.page_client import CUSTOMER, mails_to, page_link
from web.test_ticket_page import browse


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    return start_daemon(make_settings(sqlite_url))


@pytest.mark.parametrize(("language", "sizes"), [
    ("en", ("(1.2 kB)", "(500 bytes)")),
    ("pl", ("(1,2 kB)", "(500 bajtów)")),
    ("de", ("(1,2 kB)", "(500 Byte)")),
])
def test_the_sizes_of_files_are_in_the_customer_s_language(desk, language, sizes):
    mail = customer_mail()
    mail.add_attachment(b"x" * 1234, maintype="application", subtype="octet-stream",
                        filename="log.bin")
    mail.add_attachment(b"y" * 500, maintype="application", subtype="octet-stream",
                        filename="small.bin")
    send_mail(desk, mail)
    wait_for(processed(1))
    link = page_link(wait_for(lambda: mails_to(desk, CUSTOMER))[0])
    from postdesk.store.db import database
    from postdesk.store.models import Customer

    with database.connection_context():
        Customer.update(language=language).where(Customer.email == CUSTOMER).execute()

    async def visit(client: aiohttp.ClientSession) -> str:
        async with client.get(link) as page:
            return await page.text()

    html = browse(visit).replace("\xa0", " ")
    assert f'lang="{language}"' in html
    for size in sizes:
        assert size in html
    assert "Bytes" not in html
