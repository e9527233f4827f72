"""One log line per accepted mail, as Postfix operators grep for it; a 451 that says why."""

from __future__ import annotations

import logging
import smtplib

import pytest

from mailbuild import customer_mail, wait_for
from postdesk.channels.email.smtp import try_again
from postdesk.errors import TemporaryFailure
from postdesk.mail.raw_message_id import message_id_of


def test_an_accepted_mail_is_logged_with_envelope_message_id_and_size(
        make_settings, sqlite_url, start_daemon, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="postdesk.channels.email.smtp")
    daemon = start_daemon(make_settings(sqlite_url))
    host, port = daemon.address
    raw = customer_mail().as_bytes()
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.sendmail("zoe@customer.example", ["support@example.com"], raw)
    line = wait_for(lambda: [r.getMessage() for r in caplog.records
                             if r.getMessage().startswith("accepted inbound 1 ")])[0]
    assert "from=<zoe@customer.example> to=<support@example.com>" in line
    assert "message-id=<first@customer.example>" in line
    assert line.startswith("accepted inbound 1 from 127.0.0.1:")


def test_the_451_names_the_trouble_not_its_details() -> None:
    reply = try_again(TemporaryFailure("database unavailable: connection to 10.0.0.5 refused"))
    assert reply == "451 4.3.0 database unavailable, please try again later"


def test_message_id_of_reads_the_header_block_only() -> None:
    assert message_id_of(b"Subject: x\r\nMessage-ID: <a@b>\r\n\r\nMessage-ID: <c@d>\r\n") == "<a@b>"
    assert message_id_of(b"Subject: x\r\n\r\nMessage-ID: <c@d>\r\n") is None
