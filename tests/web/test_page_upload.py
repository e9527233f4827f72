"""Files sent with a reply from the ticket page, on a real `postdesk serve` (SQLite).

The files join the ticket like a mail's attachments and the page lists them
under the reply; an upload over the desk's mail size limit changes nothing and
says why.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest

from mailbuild import processed, wait_for
from web.page_client import first_acknowledgment, page_link
from web.test_ticket_page import CSRF, browse


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    # 40 kB of mail: 30 kB of files once base64-encoded
    return start_daemon(make_settings(sqlite_url, smtp_max_message_size=40_000))


def ticket_files(desk) -> list[tuple[str, str, bytes]]:
    from postdesk.store.db import database
    from postdesk.store.models import Attachment, Blob, Message

    with database.connection_context():
        return [(str(name), str(direction), bytes(data)) for name, direction, data in
                (Attachment.select(Attachment.filename, Message.direction, Blob.data)
                 .join(Message).switch(Attachment)
                 .join(Blob, on=(Attachment.blob == Blob.sha256))
                 .where(Message.ticket == 1).order_by(Attachment.id).tuples())]


def post_files(desk, link: str, text: str, files: list[tuple[str, bytes]]) -> dict[str, Any]:
    async def visit(client: aiohttp.ClientSession) -> dict[str, Any]:
        async with client.get(link) as page:
            html = await page.text()
        form = aiohttp.FormData()
        form.add_field("csrf", CSRF.search(html).group(1))
        form.add_field("text", text)
        for name, data in files:
            form.add_field("files", data, filename=name, content_type="application/pdf")
        async with client.post(f"http://{desk.settings.web.listen}/ticket/1/reply",
                               data=form) as answer:
            return {"url": str(answer.url), "html": await answer.text()}

    return browse(visit)


def test_a_reply_with_a_file_joins_the_ticket_and_the_page_lists_it(desk):
    link = page_link(first_acknowledgment(desk))
    seen = post_files(desk, link, "The error report is attached.",
                      [("błąd raport.pdf", b"%PDF-1.4 the report")])
    assert seen["url"].endswith("/ticket/1?done=sent")
    wait_for(processed(2))
    assert ticket_files(desk) == [("błąd raport.pdf", "in", b"%PDF-1.4 the report")]

    async def reread(client: aiohttp.ClientSession) -> str:
        async with client.get(link) as page:
            return await page.text()

    html = browse(reread)
    assert "The error report is attached." in html
    assert re.search(r'href="/ticket/1/files/\d+">błąd raport.pdf</a>', html)


def test_a_file_alone_is_a_reply_and_too_large_files_change_nothing(desk):
    link = page_link(first_acknowledgment(desk))
    too_large = post_files(desk, link, "Two big files", [("a.pdf", b"x" * 20_000),
                                                         ("b.pdf", b"y" * 20_000)])
    assert too_large["url"].endswith("/ticket/1?done=toolarge")
    assert "too large" in too_large["html"]
    alone = post_files(desk, link, "", [("scan.pdf", b"%PDF scan")])
    assert alone["url"].endswith("/ticket/1?done=sent")
    wait_for(processed(2))
    assert [name for name, _, _ in ticket_files(desk)] == ["scan.pdf"]
    assert all(data != b"x" * 20_000 for _, _, data in ticket_files(desk))
