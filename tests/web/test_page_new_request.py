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


AGENT_TEAMS = f"""teams:
  - name: support
    lead: ann@desk.example
    agents:
      - {{email: ann@desk.example, name: "Ann"}}
      - {{email: {CUSTOMER}, name: "Zoe, also an agent"}}
"""


@pytest.fixture
def agent_desk(make_settings, sqlite_url, start_daemon):
    return start_daemon(make_settings(sqlite_url, rules_reload_interval=1))


def become_an_agent(desk) -> None:
    """Zoe's address becomes an agent's too (rules/teams.yaml, reloaded live)."""
    from pathlib import Path

    from postdesk.config import runtime

    settings = desk.settings
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(AGENT_TEAMS)
    wait_for(lambda: runtime.current().teams.agent(CUSTOMER) is not None)


def ticket_state(ticket_id: int) -> tuple[str, str | None, list[tuple[str, str]]]:
    """Status, assignee and the messages (author, visibility) of a ticket."""
    from postdesk.store.db import database
    from postdesk.store.models import Message, Ticket

    with database.connection_context():
        ticket = Ticket.get_by_id(ticket_id)
        return ticket.status, ticket.assignee, [
            (m.author_email, m.visibility) for m in
            Message.select().where(Message.ticket == ticket_id).order_by(Message.id)]


def test_a_customer_whose_address_is_an_agent_s_opens_a_customer_request(agent_desk):
    """The page's session proves the customer's address, not an agent's power: commands,
    a ticket's subject tag and the agents' desk requests in the form do nothing."""
    link = page_link(first_acknowledgment(agent_desk))
    wait_for(processed(1))
    become_an_agent(agent_desk)
    before = ticket_state(1)
    seen = open_request(agent_desk, link, {
        "request_type": "hardware", "subject": "[#1] Another one",
        "text": "#status resolved\n#assign ann@desk.example\n#priority urgent\n#queues\n\n"
                "My keyboard is broken."})
    assert seen["url"].endswith("/ticket/1?done=requested")
    wait_for(processed(2))
    assert [t[0] for t in tickets(agent_desk)] == [1, 2]
    assert tickets(agent_desk)[1][2:] == ("hardware", CUSTOMER)
    assert ticket_state(1) == before  # not threaded into ticket 1 by the tag
    status, assignee, messages = ticket_state(2)
    assert (status, assignee) == ("new", None)
    assert messages == [(CUSTOMER, "public")]
    from postdesk.store.db import database
    from postdesk.store.models import Message, Ticket

    with database.connection_context():
        assert Ticket.get_by_id(2).priority != "urgent"
        assert "#status resolved" in Message.get(Message.ticket == 2).text
    acknowledgments = wait_for(lambda: [m for m in mails_to(agent_desk, CUSTOMER)
                                        if "[#2]" in m["Subject"]])
    assert acknowledgments
    assert not [m for m in mails_to(agent_desk, CUSTOMER) if "queue" in m["Subject"].lower()]
