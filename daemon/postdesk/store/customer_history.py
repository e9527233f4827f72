"""A customer and the tickets they took part in, for `postdesk customer show`.

The tickets they opened come along the `ticket.requester` index, the ones they
were copied on along the participant index (`ticket, customer`) read by customer:
a customer's history costs a few index lookups however large the desk is.
"""

from __future__ import annotations

from postdesk.store.models import Customer, Participant, Ticket


def customer_by_email(email: str) -> Customer | None:
    """The customer with this address (any case), or None."""
    return Customer.get_or_none(Customer.email == email.strip().lower())


def requested_ticket_ids(customer_id: int, limit: int) -> list[int]:
    """The numbers of the tickets the customer opened, newest first."""
    query = (Ticket.select(Ticket.id).where(Ticket.requester == customer_id)
             .order_by(Ticket.id.desc()).limit(limit))
    return [row.id for row in query]


def copied_ticket_ids(customer_id: int, limit: int) -> list[int]:
    """The numbers of the tickets the customer was a participant of (Cc), newest first."""
    query = (Participant.select(Participant.ticket).where(Participant.customer == customer_id)
             .order_by(Participant.ticket.desc()).limit(limit))
    return [row.ticket_id for row in query]
