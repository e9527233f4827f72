"""The snapshot the rules see of a ticket just opened is the one the database gives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postdesk.store.db import database
from postdesk.tickets import service
from postdesk.tickets.automation import facts_of, opened_facts

NOW = datetime(2026, 12, 1, 9, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("link", [None, "follow_up_of", "related", "possible_duplicate_of"])
def test_a_ticket_opened_now_has_the_facts_read_from_the_database(migrated: str,
                                                                 link: str | None) -> None:
    with database.connection_context(), database.atomic():
        customer = service.create_customer("zoe@customer.example", "Zoë", language="pl",
                                           timezone=None, now=NOW)
        earlier = service.open_ticket(customer, "Printer", now=NOW)
        ticket = service.open_ticket(customer, "Printer again", now=NOW, team="hardware")
        first = service.add_message(
            ticket, direction="in", visibility="public", author_email=customer.email,
            author_name="Zoë", subject="Printer again", text="It broke again.",
            body="It broke again.", html=None, message_id="m1@customer.example",
            inbound=None, attachments=(), now=NOW)
        links = []
        if link is not None:
            service.link_tickets(ticket, earlier, link, actor=customer.email, now=NOW)
            links.append((link, earlier.id))

        known = opened_facts(ticket, first, links)
        assert known == facts_of(ticket)
        assert known.last_customer_message_at == NOW
        assert known.links == (((link, earlier.id),) if link in ("related",
                                                                 "possible_duplicate_of")
                               else ())
