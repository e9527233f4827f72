"""`postdesk inbound` lists each mail's Message-ID and envelope recipients, on SQLite and
PostgreSQL, without reading whole mails (issue 27)."""

from __future__ import annotations

from postdesk.store.db import database
from postdesk.store.inbound import Arrival, store_inbound
from postdesk.tickets.views import inbound_rows


def test_inbound_rows_name_message_id_and_envelope_recipients(migrated: str) -> None:
    with database.connection_context():
        store_inbound(Arrival(raw=b"Subject: a\r\nMessage-ID: <one@customer.example>\r\n\r\n"
                                  b"Message-ID: <not-this@body>\r\n",
                              mail_from="zoe@customer.example",
                              rcpt_to=["support@example.com", "billing@example.com"],
                              source="lmtp"), dispatched=False)
        store_inbound(Arrival(raw=b"Subject: none\r\n\r\n\x00\xff binary body" + b"x" * 100_000,
                              mail_from="", rcpt_to=["support@example.com"], source="pipe"),
                      dispatched=False)
        rows = inbound_rows()
    assert [(row["message_id"], row["rcpt_to"]) for row in rows] == [
        (None, ["support@example.com"]),
        ("<one@customer.example>", ["support@example.com", "billing@example.com"]),
    ]
