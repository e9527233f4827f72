"""The articles a ticket was offered, whether one event carries them all (a new ticket's
suggestions) or each has its own (a desk's events before, a rule's answer): what the
"solved" answer, the ticket page's button and the chat's "This solved it" go by."""

from __future__ import annotations

from datetime import UTC, datetime

from postdesk.store.db import database
from postdesk.tickets import service
from postdesk.tickets.kb_offered import SUGGESTED, suggested_event
from postdesk.tickets.self_service import suggested_articles

NOW = datetime(2026, 12, 7, 23, 55, tzinfo=UTC)
THREE = [{"article": article, "language": "en", "score": score, "rank": rank}
         for rank, (article, score) in enumerate(
             [("password-reset", 0.9), ("unlock-account", 0.6), ("vpn-access", 0.4)], 1)]


def test_one_event_of_three_suggestions_offers_what_three_events_did(migrated: str) -> None:
    with database.atomic():
        customer = service.create_customer("zoe@customer.example", "Zoë", language="en",
                                           timezone=None, now=NOW)
        one_event, three_events, none = (service.open_ticket(customer, subject, now=NOW)
                                         for subject in ("Password", "Password", "Lunch"))
        service.record_event(one_event, SUGGESTED, suggested_event(THREE), actor="system",
                             now=NOW)
        for suggestion in THREE:
            service.record_event(three_events, SUGGESTED, suggestion, actor="system", now=NOW)
        service.record_event(three_events, SUGGESTED, {**THREE[2], "answered": True},
                             actor="system", now=NOW)  # a rule answered with one again

    offered = ["password-reset", "unlock-account", "vpn-access"]
    assert suggested_articles(one_event) == offered
    assert suggested_articles(three_events) == offered
    assert suggested_articles(none) == []
