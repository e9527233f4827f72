"""The page's "Reopen" within `[tickets] reopen_days` only, and a merged ticket's old link.

On a real `postdesk serve` (SQLite): a ticket closed longer ago than the window
offers "open another request" instead of "Reopen" and a forced POST changes
nothing; the link of a ticket merged into another opens the ticket it joined.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from mailbuild import customer_mail, mails_to, processed, send_mail, wait_for
from web.page_client import CUSTOMER, first_acknowledgment, page_link, postdesk
from web.test_ticket_page import CSRF, browse


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    return start_daemon(make_settings(sqlite_url))


def ticket_state(ticket_id: int) -> tuple[str, Any]:
    from postdesk.store.db import database
    from postdesk.store.models import Ticket

    with database.connection_context():
        ticket = Ticket.get_by_id(ticket_id)
        return ticket.status, ticket.updated_at


def age_ticket(ticket_id: int, days: int) -> None:
    """Make the ticket's last change `days` days older."""
    from postdesk.store.db import database
    from postdesk.store.models import Ticket

    with database.connection_context():
        _status, updated = ticket_state(ticket_id)
        Ticket.update(updated_at=updated - timedelta(days=days)).where(
            Ticket.id == ticket_id).execute()


def press_reopen(desk, link: str) -> dict[str, Any]:
    async def visit(client: aiohttp.ClientSession) -> dict[str, Any]:
        async with client.get(link) as page:
            html = await page.text()
        async with client.post(f"http://{desk.settings.web.listen}/ticket/1/reopen",
                               data={"csrf": CSRF.search(html).group(1)}) as answer:
            return {"before": html, "url": str(answer.url), "after": await answer.text()}

    return browse(visit)


def test_reopen_is_offered_within_reopen_days_only(desk):
    link = page_link(first_acknowledgment(desk))
    assert postdesk(desk.settings, "ticket", "status", "1", "resolved").returncode == 0
    age_ticket(1, days=15)  # the example desk's reopen_days is 14

    late = press_reopen(desk, link)
    assert ">Reopen</button>" not in late["before"]
    assert "closed too long ago to reopen" in late["before"]
    assert "open another request" in late["before"]
    assert late["url"].endswith("?done=unchanged")
    assert ticket_state(1)[0] == "resolved"

    age_ticket(1, days=-14)  # one day ago: inside the window
    recent = press_reopen(desk, link)
    assert ">Reopen</button>" in recent["before"]
    assert recent["url"].endswith("?done=reopen")
    assert ticket_state(1)[0] != "resolved"


def test_a_merged_tickets_old_link_opens_the_ticket_it_was_merged_into(desk):
    link = page_link(first_acknowledgment(desk, subject="Printer on fire"))
    send_mail(desk, customer_mail(subject="Toner smells", message_id="<second@customer.example>",
                                  body="And the toner smells odd.\n"))
    wait_for(lambda: len(mails_to(desk, CUSTOMER)) >= 2)
    wait_for(processed(2))
    merged = postdesk(desk.settings, "ticket", "merge", "1", "2")
    assert merged.returncode == 0, merged.stderr

    async def visit(client: aiohttp.ClientSession) -> dict[str, Any]:
        async with client.get(link, allow_redirects=False) as arrival:
            location, cookie = arrival.headers["Location"], arrival.headers["Set-Cookie"]
        async with client.get(link) as page:
            return {"location": location, "cookie": cookie, "html": await page.text(),
                    "url": str(page.url)}

    seen = browse(visit)
    assert seen["location"] == "/ticket/2"
    assert "Path=/ticket/2" in seen["cookie"]
    assert seen["url"].endswith("/ticket/2")
    assert "Toner smells" in seen["html"]
    assert "my printer is on fire." in seen["html"]  # the merged thread came along
