"""What a hostile customer can put in a mail, and what a customer can never get back.

Over real SMTP into a running desk, out as .eml files, read back with the
standard library as a mail client would: encoded line breaks in the subject
and the display name never become headers of our mails, markup in them is
shown as text in the HTML part, and no mail to a customer names an internal
status or carries an internal note.
"""

from __future__ import annotations

import re
import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbuild import customer_mail, processed, read_outgoing, send_mail, wait_for
from postdesk.tickets.statuses import DEFAULT_BOOK

TEAMS = """teams:
  - name: support
    agents:
      - {email: agent@example.com, name: "Support Agent", language: de}
"""
#: An RFC 2047 encoded-word hides CR LF from the SMTP layer; decoded, it would end a header.
HOSTILE = (
    b"From: =?utf-8?q?Eve_=0D=0AX-Evil=3A_1?= <eve@customer.example>\r\n"
    b"To: support@example.com\r\n"
    b"Subject: =?utf-8?q?Printer_=0D=0ABcc=3A_victim@evil.example=0D=0A=0D=0Abody?=\r\n"
    b" <script>alert(1)</script>\r\n"
    b"Message-ID: <hostile-1@customer.example>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Hello,\r\n<img src=x onerror=alert(2)> my printer is on fire.\r\n"
)
INTERNAL_ONLY = [s.name for s in DEFAULT_BOOK.statuses if s.name not in ("new", "closed",
                                                                         "resolved")]


@pytest.fixture
def desk(make_settings, sqlite_url, start_daemon):
    settings = make_settings(sqlite_url)
    (Path(settings.path(settings.paths.rules)) / "teams.yaml").write_text(TEAMS)
    return start_daemon(settings)


def send_raw(daemon, raw: bytes, sender: str, recipient: str = "support@example.com") -> None:
    host, port = daemon.address
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.sendmail(sender, [recipient], raw)


def parts(mail: EmailMessage) -> tuple[str, str]:
    return (mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content())


def test_encoded_line_breaks_never_become_headers_and_markup_stays_text(desk):
    send_raw(desk, HOSTILE, "eve@customer.example")
    mails = wait_for(lambda: len(read_outgoing(desk.outgoing)) == 2 and
                     read_outgoing(desk.outgoing))  # acknowledgment + agent notification
    for mail in mails:
        assert mail["Bcc"] is None and mail["X-Evil"] is None
        assert len(mail.get_all("Subject")) == 1 and len(mail.get_all("To")) == 1
        assert len(mail["To"].addresses) == 1
        subject = mail["Subject"]
        assert "\n" not in subject and "\r" not in subject
        assert subject.startswith("[#1] ") and "Bcc: victim@evil.example" in subject
        text, html = parts(mail)
        assert "<script>" not in html and "<img src=x" not in html
        if "onerror" in text:
            assert "&lt;img src=x onerror=alert(2)&gt;" in html
    [ack] = [m for m in mails if m["To"].addresses[0].addr_spec == "eve@customer.example"]
    text, html = parts(ack)
    assert "<img src=x onerror=alert(2)> my printer is on fire." in text  # plain text is literal
    assert "&lt;img src=x onerror=alert(2)&gt; my printer is on fire." in html
    [notice] = [m for m in mails if m["To"].addresses[0].addr_spec == "agent@example.com"]
    assert "Eve X-Evil: 1 <eve@customer.example>" in parts(notice)[0]
    assert "X-Evil: 1 &lt;eve@customer.example&gt;" in parts(notice)[1]


def test_customers_never_see_internal_status_names_or_notes(desk):
    send_mail(desk, customer_mail())
    [notice] = wait_for(lambda: [m for m in read_outgoing(desk.outgoing)
                                 if m["To"].addresses[0].addr_spec == "agent@example.com"])
    for number, body in enumerate(["#status waiting_for_vendor\nWe have asked the vendor.",
                                   "#note\nVendor ticket VX-99, internal only.",
                                   "#status in_progress\nThe part has arrived."], start=1):
        send_mail(desk, customer_mail(
            sender="agent@example.com", to=notice["Reply-To"].addresses[0].addr_spec,
            subject=f"Re: {notice['Subject']}", body=body,
            message_id=f"<agent-{number}@example.com>",
            headers={"In-Reply-To": notice["Message-ID"]}))
        wait_for(processed(1 + number))
    def customer_mails() -> list[EmailMessage]:
        return [m for m in read_outgoing(desk.outgoing)
                if m["To"].addresses[0].addr_spec == "zoe@customer.example"]

    to_customer = wait_for(lambda: len(customer_mails()) >= 3 and customer_mails())
    answers = [m for m in to_customer if "vendor" in parts(m)[0] or "arrived" in parts(m)[0]]
    assert len(answers) == 2
    for mail in to_customer:
        whole = mail.as_string()
        text, html = parts(mail)
        for name in INTERNAL_ONLY:
            assert not re.search(rf"\b{name}\b", f"{mail['Subject']}\n{text}\n{html}"), name
        assert "VX-99" not in whole and "#status" not in text
    assert all("Current status: In progress" in parts(m)[0] for m in answers)
