"""The context stored for a mail: a customer's holds no internals, an agent's does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from postdesk.config.runtime import Runtime
from postdesk.config.settings import Settings
from postdesk.tickets import service
from postdesk.tickets.mailing import MailRequest, build_mail

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_customer_mail_context_has_no_internal_status_nor_note_address(
        migrated: str, make_settings: Callable[..., Settings]) -> None:
    runtime = Runtime(make_settings(migrated))
    customer = service.find_or_create_customer("zoe@customer.example", "Zoë", language="pl",
                                               timezone=None, now=NOW)
    ticket = service.open_ticket(customer, "Printer on fire", now=NOW)
    service.set_status(ticket, "waiting_for_vendor", actor="agent@example.com", now=NOW)
    to_customer = build_mail(MailRequest("status_changed", customer.email, to_customer=True),
                             ticket, runtime, now=NOW)
    to_agent = build_mail(MailRequest("agent_new_ticket", "agent@example.com",
                                      to_customer=False), ticket, runtime, now=NOW)
    assert "waiting_for_vendor" not in repr(to_customer.context)
    assert "note_address" not in to_customer.context
    assert to_customer.context["ticket"]["public_status"]
    assert to_agent.context["ticket"]["status"] == "waiting_for_vendor"
    assert to_agent.context["note_address"].startswith("support+")
