"""Outgoing MIME: thread headers, both parts, and no header injection."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import pytest

from postdesk.mail.compose import OutgoingMail, compose, new_message_id


def build(**changes) -> email.message.EmailMessage:
    fields = dict(
        sender_name="Example Support", sender_address="support@example.com",
        recipient="zoe@customer.example", subject="[#1] Hello", text="Hi\n",
        html="<p>Hi</p>", message_id=new_message_id("example.com"),
        date=datetime(2026, 11, 22, 12, 0, tzinfo=UTC), reply_to="support+1-c-x@example.com",
        in_reply_to="a@b", references=("z@b", "a@b"), auto_submitted="auto-replied",
    )
    fields.update(changes)
    raw = compose(OutgoingMail(**fields))
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def test_headers_and_parts() -> None:
    msg = build()
    assert msg["In-Reply-To"] == "<a@b>"
    assert msg["References"] == "<z@b> <a@b>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_body(("plain",)).get_content().splitlines() == ["Hi"]
    assert "<p>Hi</p>" in msg.get_body(("html",)).get_content()


def test_customer_text_cannot_inject_headers() -> None:
    msg = build(subject="Hello\r\nBcc: victim@example.org", sender_name="Eve\nX-Evil: 1")
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["Subject"] == "Hello Bcc: victim@example.org"


def test_non_ascii_names_are_encoded() -> None:
    msg = build(sender_name="Obsługa Klienta", subject="Zażółć gęślą jaźń")
    assert msg["From"].addresses[0].display_name == "Obsługa Klienta"
    assert msg["Subject"] == "Zażółć gęślą jaźń"


def test_bodies_round_trip_exactly() -> None:
    text = "Zażółć gęślą jaźń\n" + "x" * 300 + "\nFrom here on\n.\n=3D literal\n\ttab\n"
    msg = build(text=text, html="<p>Straße</p>" * 40)
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert html == "<p>Straße</p>" * 40 + "\n"


def test_text_only_and_long_subject() -> None:
    subject = "Ü" + "long words " * 40
    msg = build(html=None, subject=subject)
    assert msg.get_content_type() == "text/plain"
    assert msg["Subject"] == " ".join(subject.split())


def test_an_address_must_be_one_address() -> None:
    import pytest

    with pytest.raises(ValueError, match="single mail address"):
        build(recipient="a@example.com, b@example.com")
    with pytest.raises(ValueError, match="header name"):
        build(extra_headers={"X-Bad\r\nBcc": "x"})


def test_attachments_round_trip_with_any_file_name() -> None:
    from postdesk.mail.compose import OutgoingAttachment

    photo = bytes(range(256)) * 40
    msg = build(attachments=[OutgoingAttachment("Zdjęcie drukarki.jpg", "image/jpeg", photo),
                             OutgoingAttachment('a "quoted".txt', "text/plain", b"hello\n"),
                             OutgoingAttachment("x.bin", "bad type", b"\x00")])
    assert msg.get_content_type() == "multipart/mixed"
    assert msg.get_body(("plain",)).get_content().splitlines() == ["Hi"]
    files = {part.get_filename(): part for part in msg.iter_attachments()}
    assert files["Zdjęcie drukarki.jpg"].get_content() == photo
    assert files["Zdjęcie drukarki.jpg"].get_content_type() == "image/jpeg"
    assert files["a 'quoted'.txt"].get_content().replace("\r\n", "\n") == "hello\n"
    assert files["x.bin"].get_content_type() == "application/octet-stream"


def test_a_text_attachment_names_its_charset() -> None:
    from postdesk.mail.compose import OutgoingAttachment

    page = "<p>Wskaźniki według zespołów: 33,3%</p>"
    msg = build(attachments=[
        OutgoingAttachment("raport.html", "text/html; charset=utf-8", page.encode()),
        OutgoingAttachment("x.html", "text/html; charset=utf-8\r\nBcc: a@example.com", b"x")])
    files = {part.get_filename(): part for part in msg.iter_attachments()}
    assert files["raport.html"].get_content() == page
    assert files["raport.html"].get_content_charset() == "utf-8"
    assert files["x.html"].get_content_type() == "application/octet-stream"
    assert msg["Bcc"] is None


def test_date_header_is_what_the_email_package_writes() -> None:
    from datetime import timedelta, timezone
    from email.utils import format_datetime
    from zoneinfo import ZoneInfo

    from postdesk.mail.compose import rfc5322_date

    zones = [None, UTC, timezone(timedelta(hours=5, minutes=30)),
             timezone(-timedelta(hours=3, minutes=30, seconds=15)), ZoneInfo("Europe/Warsaw")]
    start = datetime(2026, 1, 1, 0, 0, 0, 999999)
    for n in range(0, 400, 3):
        moment = start + timedelta(days=n, hours=n % 24, minutes=n % 60, seconds=n % 61)
        for zone in zones:
            value = moment if zone is None else moment.replace(tzinfo=zone)
            assert rfc5322_date(value) == format_datetime(value)
    early = datetime(999, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert rfc5322_date(early) == format_datetime(early) == "Mon, 04 Mar 0999 05:06:07 +0000"


@pytest.mark.parametrize("name", ["Example Support", 'Zoë "Q" O\'Neil, Jr.', "a\\b (c) <d>",
                                  "Obsługa Klienta", "日本語のサポート", "x" * 100])
def test_display_names_round_trip(name: str) -> None:
    msg = build(sender_name=name)
    assert msg["From"].addresses[0].display_name == name
    assert msg["From"].addresses[0].addr_spec == "support@example.com"
    assert msg["Reply-To"].addresses[0].display_name == name


def test_a_non_ascii_address_is_written_in_utf8_with_its_domain_in_idna() -> None:
    """RFC 6532: the address as UTF-8 (sent with SMTPUTF8), never as encoded-words; the
    domain in its IDNA form, which every server takes."""
    raw = compose(OutgoingMail(
        sender_name="Example Support", sender_address="support@example.com",
        recipient="zoë@exämple.com", subject="Hi", text="Hi\n", html=None,
        message_id="m@example.com", date=datetime(2026, 11, 22, 12, 0, tzinfo=UTC)))
    assert "To: zoë@xn--exmple-cua.com\r\n".encode() in raw
    assert b"=?" not in raw.split(b"\r\nSubject:")[0]


def test_an_ascii_local_part_with_a_non_ascii_domain_stays_ascii() -> None:
    raw = compose(OutgoingMail(
        sender_name="Example Support", sender_address="support@example.com",
        recipient="zoe@exämple.com", subject="Hi", text="Hi\n", html=None,
        message_id="m@example.com", date=datetime(2026, 11, 22, 12, 0, tzinfo=UTC)))
    assert raw.isascii() and b"To: zoe@xn--exmple-cua.com\r\n" in raw


def test_long_headers_are_folded_and_read_back_unchanged() -> None:
    subject = "[#12] " + " ".join(f"word{n}" for n in range(60))
    references = tuple(f"ref{n}.{'x' * 20}@customer.example" for n in range(12))
    raw = compose(OutgoingMail(
        sender_name="Example Support", sender_address="support@example.com",
        recipient="zoe@customer.example", subject=subject, text="Hi\n", html=None,
        message_id="m@example.com", date=datetime(2026, 11, 22, 12, 0, tzinfo=UTC),
        references=references, extra_headers={"X-Note": "long " * 40}))
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == subject
    assert msg["References"] == " ".join(f"<{ref}>" for ref in references)
    assert msg["X-Note"] == ("long " * 40).strip()


def test_a_word_longer_than_a_line_is_not_broken() -> None:
    msg = build(subject="x" * 120)
    assert msg["Subject"] == "x" * 120


def test_folding_never_starts_a_header() -> None:
    subject = "Hello " * 12 + "\r\nBcc: victim@example.org " + "x " * 30
    msg = build(subject=subject, sender_name="Eve " * 20 + "\nX-Evil: 1")
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["Subject"] == " ".join(subject.split())


def test_a_subject_that_looks_encoded_reads_back_as_written() -> None:
    subject = "Why does =?utf-8?q?this?= show up in my mail?"
    msg = build(subject=subject, extra_headers={"X-Note": "=?utf-8?b?eA==?="})
    assert msg["Subject"] == subject
    assert msg["X-Note"] == "=?utf-8?b?eA==?="
