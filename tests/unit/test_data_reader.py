"""A mail's data read in blocks (issue 25 point 8): the handler gets byte for byte what
aiosmtpd's line-by-line reading gave it, and a large mail leaves no crowd of small
objects behind (they kept the daemon's memory after ten large mails)."""

from __future__ import annotations

import asyncio
import smtplib
import socket
import threading
import time

import pytest
from aiosmtpd.smtp import SMTP

from postdesk.channels.email.bare_lf import BareLfReply, refuse_bare_lf
from postdesk.channels.email.cut_data import ReleaseCutData
from postdesk.channels.email.data_reader import BLOCK, unstuff
from postdesk.channels.email.envelope_address import QuickEnvelopeAddress
from postdesk.channels.email.idle_timeout import IdleTimeoutReply
from postdesk.channels.email.long_lines import LongDataLines
from postdesk.channels.email.refusals import RefusalLog
from postdesk.channels.email.smtp import DeskLMTP, DeskSMTP
from pymalloc_arenas import AVAILABLE as ARENAS_COUNTED
from pymalloc_arenas import arenas_allocated


class LineDesk(QuickEnvelopeAddress, ReleaseCutData, IdleTimeoutReply, LongDataLines,
               BareLfReply, RefusalLog, SMTP):
    """The listener as it was: aiosmtpd's own DATA step, one line at a time."""


def test_unstuff_removes_the_first_dot_of_each_line_only() -> None:
    assert unstuff(b"..\r\n") == b".\r\n"
    assert unstuff(b".a\r\nb.\r\n..c\r\n...\r\n") == b"a\r\nb.\r\n.c\r\n..\r\n"
    assert unstuff(b"a\n.b\r.c\r\n") == b"a\n.b\r.c\r\n"  # bare LF and CR end no line
    plain = b"QUJD\r\n" * 1000
    assert unstuff(plain) is plain  # base64 has no dots: no copy


class _Keep:
    """Keeps what the DATA hook got: content, original content, bare-LF verdict."""

    def __init__(self) -> None:
        self.got: list[tuple[object, object, bool]] = []

    async def handle_DATA(self, server: object, session: object, envelope) -> str:
        self.got.append((envelope.content, envelope.original_content,
                         refuse_bare_lf(server, envelope.original_content)))
        return f"250 2.0.0 OK {len(self.got)}"


def _converse(port: int, pieces: list[bytes], answers: list[bytes]) -> None:
    """One session: a mail whose data (end line included) is sent as `pieces`, each in a
    segment of its own, then a small mail in the same session (the stream stays in step)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = raw.makefile("rb")
        reader.readline()
        raw.sendall(b"EHLO client.example\r\n")
        while reader.readline()[3:4] != b" ":
            pass
        for command in (b"MAIL FROM:<a@customer.example>\r\n",
                        b"RCPT TO:<support@example.com>\r\n", b"DATA\r\n"):
            raw.sendall(command)
            reader.readline()
        for piece in pieces:
            raw.sendall(piece)
            if len(pieces) > 1:
                time.sleep(0.002)
        answers.append(reader.readline())
        raw.sendall(b"MAIL FROM:<b@customer.example>\r\nRCPT TO:<support@example.com>\r\n"
                    b"DATA\r\n")
        for _ in range(3):
            reader.readline()
        raw.sendall(b"Subject: next\r\n\r\nsecond\r\n.\r\nQUIT\r\n")
        answers.append(reader.readline())


async def _serve(protocol: type[SMTP], pieces: list[bytes], limit: int
                 ) -> tuple[list[bytes], list[tuple[object, object, bool]]]:
    loop = asyncio.get_running_loop()
    handler = _Keep()
    server = await loop.create_server(
        lambda: protocol(handler, data_size_limit=limit, decode_data=False,
                         enable_SMTPUTF8=True, timeout=10, loop=loop), "127.0.0.1", 0)
    answers: list[bytes] = []
    client = threading.Thread(target=_converse,
                              args=(server.sockets[0].getsockname()[1], pieces, answers))
    client.start()
    try:
        while client.is_alive():
            await asyncio.sleep(0.01)
    finally:
        server.close()
    return answers, handler.got


def received(protocol: type[SMTP], pieces: list[bytes], limit: int = 30_000_000
             ) -> tuple[list[bytes], list[tuple[object, object, bool]]]:
    return asyncio.run(_serve(protocol, pieces, limit))


def _each_byte(data: bytes) -> list[bytes]:
    return [data[n:n + 1] for n in range(len(data))]


def _large() -> bytes:
    """Over two blocks of lines of every kind: dot-stuffed, bare LF before a dot, CR only,
    8-bit, NUL, a line longer than a block; the end line split over segments below."""
    lines = []
    for n in range(9000):
        kind = n % 7
        lines.append([b"..stuffed %d" % n, b"plain line %d" % n, b"bare\n.\r\n" * 2,
                      b"cr\r.only", b"\x00\xff\xe9t\xe9 %d" % n, b"..", b"x" * (n % 97)][kind])
    lines.insert(4000, b"L" * (BLOCK + 7))
    return b"\r\n".join(lines) + b"\r\n"


CASES = {
    "plain": [b"Subject: a\r\n\r\nhello\r\n.\r\n"],
    "empty": [b".\r\n"],
    "only a dot-stuffed line": [b"..\r\n.\r\n"],
    "first line starts with a dot": [b".hidden\r\nx\r\n.\r\n"],
    "a line of one dot inside": [b"a\r\n..\r\nb\r\n.\r\n"],
    "dot before the end line": [b"abc.\r\n.\r\n"],
    "bare LF dot is no end": [b"a\n.\nb\n.\r\nc\r\n.\r\n"],
    "bare LF dot right before the end": [b"a\n.\r\n.\r\n"],
    "CR only": [b"a\rb\r.\r\r\n.\r\n"],
    "CR CR LF before the end": [b"x\r\r\n.\r\n"],
    "NUL and 8-bit": [bytes(range(256)) + b"\r\n\xc3\xa9\x00\r\n.\r\n"],
    "byte by byte": _each_byte(b".a\r\n\r\n..\r\nb\n.\r\n\r\n.\r\n"),
    "bare LF mail": [b"".join(b"line %d of a unix file\n" % n for n in range(100)) +
                     b"\r\n.\r\n"],
    "large, end line split": [_large(), b"\r", b"\n", b".", b"\r", b"\n"],
    "large in odd segments": [],  # filled below
}
_odd = _large() + b".\r\n"
CASES["large in odd segments"] = [_odd[n:n + 65_521] for n in range(0, len(_odd), 65_521)]


@pytest.mark.parametrize("case", list(CASES))
def test_the_handler_gets_what_line_by_line_reading_gave(case: str) -> None:
    answers, got = received(DeskSMTP, CASES[case])
    assert (answers, got) == received(LineDesk, CASES[case])
    assert [answer[:4] for answer in answers] == [b"250 ", b"250 "]
    assert got[1][1] == b"Subject: next\r\n\r\nsecond\r\n"


def test_known_contents() -> None:
    """The cases above against contents written out, not only against aiosmtpd."""
    contents = {case: received(DeskSMTP, CASES[case])[1][0][1] for case in
                ("empty", "only a dot-stuffed line", "bare LF dot right before the end",
                 "byte by byte")}
    assert contents == {"empty": b"", "only a dot-stuffed line": b".\r\n",
                        "bare LF dot right before the end": b"a\n.\r\n",
                        "byte by byte": b"a\r\n\r\n.\r\nb\n.\r\n\r\n"}
    [(content, original, _)] = received(DeskSMTP, CASES["large, end line split"])[1][:1]
    assert content is original and original == unstuff(_large() + b"\r\n")


def test_a_bare_lf_mail_is_still_recognised() -> None:
    [first, _] = received(DeskSMTP, CASES["bare LF mail"])[1]
    assert first[2] is True  # the handler refuses it, as before


@pytest.mark.parametrize("extra", [0, 1])
def test_the_size_limit_as_before(extra: int) -> None:
    """Data of exactly the limit is taken, one octet more is 552 after the end line."""
    data = b"x" * 998 + b"\r\n"
    pieces = [data * 4 + b"y" * (1000 + extra - 2) + b"\r\n" + b".\r\n"]
    answers, got = received(DeskSMTP, pieces, limit=5000)
    assert (answers, got) == received(LineDesk, pieces, limit=5000)
    assert answers[0].startswith(b"552 " if extra else b"250 ")
    assert len(got) == 2 - extra


# --- memory ----------------------------------------------------------------------------

MAIL = 8_000_000




async def _arenas_for_a_large_mail(protocol: type[SMTP],
                                   client_class: type[smtplib.SMTP]) -> tuple[int, int]:
    loop = asyncio.get_running_loop()
    handler = _Keep()
    server = await loop.create_server(
        lambda: protocol(handler, data_size_limit=30_000_000, decode_data=False,
                         timeout=30, loop=loop), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    raw = b"Subject: logs\r\n\r\n" + b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTIzNDU2Nzg5" \
                                      b"YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo=\r\n" * (MAIL // 78)

    def send() -> None:
        with client_class("127.0.0.1", port, timeout=60) as client:
            client.sendmail("a@customer.example", ["support@example.com"], raw)

    before = arenas_allocated()
    client = threading.Thread(target=send)
    client.start()
    try:
        while client.is_alive():
            await asyncio.sleep(0.01)
    finally:
        server.close()
    [(content, _, _)] = handler.got
    return arenas_allocated() - before, len(content)


@pytest.mark.skipif(not ARENAS_COUNTED, reason="CPython's allocator")
@pytest.mark.parametrize(("protocol", "client_class"),
                         [(DeskSMTP, smtplib.SMTP), (DeskLMTP, smtplib.LMTP)])
def test_a_large_mail_is_read_without_a_crowd_of_small_objects(
        protocol: type[SMTP], client_class: type[smtplib.SMTP]) -> None:
    """Line by line, an 8 MB mail made some 220,000 small objects at once: 16 MiB of new
    arenas of the small-object allocator, which any survivor among them keeps."""
    arenas, size = asyncio.run(_arenas_for_a_large_mail(protocol, client_class))
    assert size > MAIL * 0.99
    assert arenas <= 2, f"{arenas} arenas (1 MiB each) of small objects for an 8 MB mail"
