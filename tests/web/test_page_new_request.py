""""Open another request" from the ticket page, on a real `postdesk serve` (SQLite).

The form offers the desk's request types with their icons; a request sent from
it becomes a ticket of the session's customer with the chosen type and its
files, acknowledged by mail like any mail. The same header in a mail from
outside chooses nothing.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest

from mailbuild import customer_mail, mails_to, processed, send_mail, wait_for
from web.page_client import CUSTOMER, first_acknowledgment, page_link
from web.test_ticket_page import CSRF, browse


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    return start_daemon(make_settings(sqlite_url))


def tickets(desk) -> list[tuple[int, str, str | None, str]]:
    from postdesk.store.db import database
    from postdesk.store.models import Customer, Ticket

    with database.connection_context():
        return [(t.id, t.subject, t.request_type, c.email) for t, c in
                ((t, t.requester) for t in Ticket.select(Ticket, Customer).join(Customer)
                 .order_by(Ticket.id))]


def open_request(desk, link: str, fields: dict[str, str],
                 files: tuple[tuple[str, bytes], ...] = ()) -> dict[str, Any]:
    base = f"http://{desk.settings.web.listen}"

    async def visit(client: aiohttp.ClientSession) -> dict[str, Any]:
        async with client.get(link) as page:
            ticket_html = await page.text()
        async with client.get(f"{base}/ticket/1/new") as form_page:
            form_html = await form_page.text()
        form = aiohttp.FormData()
        form.add_field("csrf", CSRF.search(form_html).group(1))
        for name, value in fields.items():
            form.add_field(name, value)
        for name, data in files:
            form.add_field("files", data, filename=name, content_type="text/plain")
        async with client.post(f"{base}/ticket/1/new", data=form) as answer:
            return {"ticket_html": ticket_html, "form_html": form_html,
                    "status": answer.status, "url": str(answer.url),
                    "after": await answer.text()}

    return browse(visit)


def test_a_request_from_the_form_becomes_a_ticket_of_the_customer_with_its_type(desk):
    link = page_link(first_acknowledgment(desk))
    seen = open_request(desk, link, {"request_type": "hardware", "subject": "Screen flickers",
                                     "text": "The second screen flickers."},
                        files=(("photo.txt", b"imagine a photo"),))
    assert 'href="/ticket/1/new"' in seen["ticket_html"]
    form = seen["form_html"]
    for title in ("General question", "Hardware", "Software", "Access and accounts",
                  "Invoices and billing"):
        assert title in form
    assert form.count('<svg class="icon"') == 5
    assert seen["url"].endswith("/ticket/1?done=requested")
    assert "Your new request was sent" in seen["after"]
    wait_for(processed(2))
    assert tickets(desk)[1] == (2, "Screen flickers", "hardware", CUSTOMER)
    acknowledgments = wait_for(lambda: [m for m in mails_to(desk, CUSTOMER)
                                        if "[#2]" in m["Subject"]])
    assert "/t/2." in acknowledgments[0].get_body(("plain",)).get_content()

    from postdesk.store.db import database
    from postdesk.store.models import Attachment, Message

    with database.connection_context():
        names = [a.filename for a in Attachment.select().join(Message)
                 .where(Message.ticket == 2)]
    assert names == ["photo.txt"]


def test_an_incomplete_form_is_shown_again_with_what_was_typed(desk):
    link = page_link(first_acknowledgment(desk))
    seen = open_request(desk, link, {"request_type": "hardware", "subject": "",
                                     "text": "Kept text"})
    assert seen["status"] == 400
    assert "Please give your request a subject" in seen["after"]
    assert ">Kept text</textarea>" in seen["after"]
    unknown = open_request(desk, link, {"request_type": "vip", "subject": "x", "text": "y"})
    assert unknown["status"] == 400 and "Please choose what your request is about" in \
        unknown["after"]
    wait_for(processed(1))
    assert len(tickets(desk)) == 1


def test_a_mail_from_outside_with_the_header_chooses_no_type(desk):
    mail = customer_mail(subject="Please route me to hardware")
    mail["X-Postdesk-Request-Type"] = "hardware; sig=" + "A" * 24
    send_mail(desk, mail)
    wait_for(processed(1))
    assert tickets(desk)[0][2] is None
    assert re.search("hardware", str(tickets(desk)))  # only in the subject
