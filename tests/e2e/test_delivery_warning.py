"""A delivery-delay warning over real SMTP: no acknowledgment, no ticket, nobody marked bouncing.

Free-text warnings without a DSN part (Zoho, older Exchange and Exim send them) used to
open a ticket; a warning must never flag the address either: the mail is still being
retried and the address may well be fine.
"""

from __future__ import annotations

from mailbuild import customer_mail, processed, read_outgoing, send_mail, wait_for
from postdesk.store.models import Customer, Inbound, Ticket

WARNING_TEXT = """\
This is an automatically generated message from the mail system.

Your message to zoe@customer.example has not yet been delivered.
The last attempt said: host mx.customer.example not found.
We will keep trying for up to 3 days; no action is required.

Subject: Printer on fire
"""

def test_delay_warning_gets_no_answer_and_marks_nobody(make_settings, sqlite_url, start_daemon):
    daemon = start_daemon(make_settings(sqlite_url))
    send_mail(daemon, customer_mail())
    wait_for(lambda: read_outgoing(daemon.outgoing))
    warning = customer_mail(
        sender="mailer-daemon@mx.customer.example",
        subject="Mail Delivery Status Notification (Delay)",
        body=WARNING_TEXT, message_id="<warning-1@mx.customer.example>")
    send_mail(daemon, warning, sender="")
    wait_for(processed(2))

    row = Inbound.select().order_by(Inbound.id.desc()).get()
    assert row.state == "ignored", row.reason
    assert "delivery warning" in row.reason
    assert Ticket.select().count() == 1  # only the customer's own ticket
    assert len(read_outgoing(daemon.outgoing)) == 1  # only the customer's acknowledgment
    assert not Customer.get(Customer.email == "zoe@customer.example").bouncing
