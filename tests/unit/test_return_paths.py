"""The envelopes of one outbox row with VERP: one per recipient, each under the return path
made for it; the row's outcome from those of its transactions (issue 27)."""

from __future__ import annotations

from postdesk.channels.email.return_paths import envelopes, row_result
from postdesk.channels.email.transports import PermanentFailure
from postdesk.errors import TemporaryFailure
from postdesk.mail.verp import read_bounce_address, verified_recipient

DESK = ("support@example.com",)


def test_each_recipient_gets_a_return_path_of_its_own() -> None:
    made = envelopes("support@example.com", ["zoe@customer.example", "boss@customer.example"],
                     7, verp=True, secret="s", support_addresses=DESK)
    assert [e.recipients for e in made] == [("zoe@customer.example",),
                                            ("boss@customer.example",)]
    for envelope in made:
        token = read_bounce_address(envelope.mail_from, DESK)
        assert token is not None and token.outbox_id == 7
        assert verified_recipient(token, ["zoe@customer.example", "boss@customer.example"],
                                  "s") == envelope.recipients[0]


def test_without_verp_or_from_a_foreign_address_one_plain_envelope() -> None:
    for verp, sender in ((False, "support@example.com"), (True, "noreply@elsewhere.example")):
        [envelope] = envelopes(sender, ["zoe@customer.example", "boss@customer.example"], 7,
                               verp=verp, secret="s", support_addresses=DESK)
        assert envelope.mail_from == sender
        assert envelope.recipients == ("zoe@customer.example", "boss@customer.example")


def test_a_row_is_sent_when_every_transaction_went_else_retried_before_failed() -> None:
    assert row_result(["smtp://relay:25", "smtp://relay:25"]) == "smtp://relay:25"
    refused, deferred = PermanentFailure("550"), TemporaryFailure("451")
    assert row_result(["smtp://relay:25", refused]) is refused
    assert row_result([refused, deferred]) is deferred
