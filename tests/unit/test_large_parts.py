"""A large mail is parsed and decoded without a string per line of its attachments (issue
25 point 8): the parse is the standard library's to the byte, and a 25 MB attachment no
longer fills dozens of small-object arenas that the daemon's other objects then pin."""

from __future__ import annotations

import base64
import os
from email import policy
from email.message import EmailMessage, Message

import pytest

from mime_shape import parse_shape
from postdesk.mail import large_parts
from postdesk.mail.boundary_lines import parse_bytes
from postdesk.mail.large_parts import quick_base64, set_aside
from postdesk.mail.mime_part import payload_bytes
from postdesk.mail.parse import parse_message
from pymalloc_arenas import AVAILABLE as ARENAS_COUNTED
from pymalloc_arenas import arenas_allocated

B64 = base64.encodebytes(bytes(range(256)) * 4000).replace(b"\n", b"\r\n")  # 1.4 MB




def parsed_both_ways(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    with monkeypatch.context() as patch:
        patch.setattr(large_parts, "LARGE", len(data) + 1)  # nothing set aside
        plain = parse_shape(parse_bytes(data, policy.default))
    return parse_shape(parse_bytes(data, policy.default)), plain


MAILS_LF = (b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\n\n" +
            B64.replace(b"\r\n", b"\n") + b"--XX--\n")
MAILS = {
    "attachment": b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
                  b"--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
                  b"--XX\r\nContent-Type: application/pdf\r\n"
                  b"Content-Transfer-Encoding: base64\r\n\r\n" + B64 + b"--XX--\r\nafter\r\n",
    "run in the preamble and epilogue":
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n" + B64 +
        b"--XX\r\n\r\nx\r\n--XX--\r\n" + B64,
    "run in the header block": b"Subject: no blank line\r\n" + B64 + b"\r\ntail\r\n",
    "nested message": b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n"
                      b"Content-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\n"
                      b"Content-Transfer-Encoding: base64\r\n\r\n" + B64 + b"--in--\r\n",
    "delivery status": b"Content-Type: multipart/report; boundary=R\r\n\r\n--R\r\n"
                       b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: x\r\n"
                       b"\r\n" + B64 + b"\r\n--R--\r\n",
    "two runs and LF lines": b"Subject: t\r\n\r\n" + B64 + b"text between\n" + B64,
    "LF line ends (piped in)": MAILS_LF,
    "run without the last CRLF": b"Subject: t\r\n\r\n" + B64.rstrip(),
}


@pytest.mark.parametrize("name", list(MAILS))
def test_the_parse_is_the_standard_librarys(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = MAILS[name]
    assert set_aside(data.decode("ascii")) is not None  # the case does set runs aside
    aside, plain = parsed_both_ways(data, monkeypatch)
    assert aside == plain


def test_a_placeholder_written_in_the_mail_itself_is_just_text(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The placeholder's token is new for each parse: a mail that contains one (or one
    like it) is parsed as it is."""
    fake = b"PostdeskSetAside0123456789abcdefN0\r\n"
    data = b"Subject: t\r\n\r\n" + fake + B64 + fake
    aside, plain = parsed_both_ways(data, monkeypatch)
    assert aside == plain


def test_a_placeholder_that_cannot_be_put_back_means_the_whole_parse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(large_parts.AsideRuns, "put_back", lambda self, msg: False)
    data = MAILS["attachment"]
    msg = parse_bytes(data, policy.default)
    assert msg.get_payload()[1].get_payload(decode=True) == bytes(range(256)) * 4000


def _part(body: bytes | str, cte: str = "base64") -> Message:
    part = EmailMessage()
    part["Content-Transfer-Encoding"] = cte
    part.set_payload(body)
    return part


@pytest.mark.parametrize("body", [
    "QUJD\r\nREVG\r\n", "QUJD\nREVG\rR0g=\r\n", "", "QUJDREVGR0g=",
    "QUJD\r\nRE=VG\r\n",  # padding inside: the standard library's business
    "QUJDR\r\n", "QUJD REVG\r\n", "QUJD*REVG\r\n", "QUJ\udcffD\r\n",
])
def test_quick_base64_is_what_the_standard_library_decodes(body: str) -> None:
    got = quick_base64(_part(body))
    assert got is None or got == _part(body).get_payload(decode=True)
    # what the worker reads, through the quick way or not, and the defects it notes
    quick, stdlib = _part(body), _part(body)
    assert payload_bytes(quick) == _stdlib_payload_bytes(stdlib)
    assert [type(d) for d in quick.defects] == [type(d) for d in stdlib.defects]


def _stdlib_payload_bytes(part: Message) -> bytes:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("postdesk.mail.mime_part.quick_base64", lambda part: None)
        return payload_bytes(part)


def test_quick_base64_leaves_other_parts_alone() -> None:
    assert quick_base64(_part("QUJD\r\n", cte="7bit")) is None
    assert quick_base64(_part("QUJD\r\n")) == b"ABC"




@pytest.mark.skipif(not ARENAS_COUNTED, reason="CPython's allocator")
def test_a_large_attachment_makes_no_crowd_of_small_objects() -> None:
    """An 8 MB attachment was some 110,000 line strings in the parser and as many line
    bytes in its decoding: about 25 arenas of 1 MiB of small objects."""
    content = os.urandom(6_000_000)
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@b.example", "s@d.example", "Logs"
    mail.set_content("The logs are attached.\n")
    mail.add_attachment(content, maintype="application", subtype="octet-stream",
                        filename="printer.log")
    raw = mail.as_bytes(policy=policy.SMTP)
    before = arenas_allocated()
    parsed = parse_message(raw)
    arenas = arenas_allocated() - before
    [attachment] = parsed.attachments
    assert attachment.data == content
    assert arenas <= 2, f"{arenas} arenas (1 MiB each) of small objects for an 8 MB mail"
