"""The ticket page is the "this solved it" confirmation page of issue 21 (real `postdesk
serve`, SQLite, SMTP in): the acknowledgment suggested an article and links to the page;
opening the link changes nothing; the requester's "This is solved" resolves the ticket as
self-served, its clocks met, counted as a deflection by `postdesk report sla`. A ticket
the desk offered nothing is resolved as before, not counted as self-served."""

from __future__ import annotations

import json
import re

import aiohttp

from mailbuild import customer_mail, mails_to, processed, send_mail, wait_for
from web.page_client import CUSTOMER, page_link, postdesk
from web.test_ticket_page import browse

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def state(ticket_id: int) -> tuple[str, list[tuple[str, dict]]]:
    from postdesk.store.db import database
    from postdesk.store.models import Event, Ticket

    with database.connection_context():
        events = [(e.kind, e.data) for e in
                  Event.select().where(Event.ticket == ticket_id).order_by(Event.id)]
        return Ticket.get_by_id(ticket_id).status, events


def press_solved(desk, link: str) -> tuple[str, str]:
    """Open the link (what a link scanner does too), then press "This is solved"."""
    base = f"http://{desk.settings.web.listen}"

    async def visit(client: aiohttp.ClientSession) -> tuple[str, str]:
        async with client.get(link) as page:
            html = await page.text()
            path = page.url.path
        before = state(int(path.rsplit("/", 1)[1]))[0]
        async with client.post(f"{base}{path}/solved",
                               data={"csrf": CSRF.search(html).group(1)}) as done:
            assert done.status == 200 and "done=solved" in str(done.url)
        return before, path

    return browse(visit)


def test_this_is_solved_on_the_page_resolves_a_suggested_ticket_as_self_served(
        make_settings, sqlite_url, start_daemon) -> None:
    desk = start_daemon(make_settings(sqlite_url))
    send_mail(desk, customer_mail(subject="Forgot my password",
                                  body="Hello,\nI forgot my password and cannot log in.\n"))
    wait_for(processed(1))
    [ack] = wait_for(lambda: mails_to(desk, CUSTOMER))
    assert "1. Reset your password" in ack.get_body(("plain",)).get_content()
    before, _ = press_solved(desk, page_link(ack))
    assert before == "new"  # opening the page changed nothing
    status, events = state(1)
    assert status == "resolved"
    [served] = [data for kind, data in events if kind == "kb.self_served"]
    assert served["how"] == "page" and served["articles"] == ["password-reset"]
    report = postdesk(desk.settings, "report", "sla", "--format", "json")
    assert report.returncode == 0, report.stderr
    total = json.loads(report.stdout)["total"]
    assert total["self_served"] == 1  # a deflection
    assert total["clocks"]["first_response"]["met"] == 1
    assert total["clocks"]["resolution"]["met"] == 1


def test_this_is_solved_on_a_ticket_offered_nothing_is_a_plain_resolution(
        make_settings, sqlite_url, start_daemon) -> None:
    desk = start_daemon(make_settings(sqlite_url))
    send_mail(desk, customer_mail(subject="Lunch", body="Canteen menu tomorrow?\n"))
    wait_for(processed(1))
    [ack] = wait_for(lambda: mails_to(desk, CUSTOMER))
    assert "These articles may already answer" not in ack.get_body(("plain",)).get_content()
    press_solved(desk, page_link(ack))
    status, events = state(1)
    assert status == "resolved"
    assert "kb.self_served" not in [kind for kind, _ in events]
    report = json.loads(postdesk(desk.settings, "report", "sla", "--format", "json").stdout)
    assert report["total"]["self_served"] == 0
