"""Plain header values read as written give what the standard library's header objects give.

`bounce_parts.header_text` (what classification reads), `first_address` and the
parser's address reading skip the stdlib's parse for plain values
(`postdesk.mail.plain_headers`). Here every
header of every message in ../shared/corpus, and of every message part in it, is read
both ways; so are hand-made values at the edges of "plain" and a few thousand random
ones made of the characters that matter.
"""

from __future__ import annotations

import random
from email.message import Message
from email.utils import getaddresses
from pathlib import Path

import pytest

from postdesk.mail.bounce_parts import header_text, one_line
from postdesk.mail.bounce_recipients import _ADDRESS as ADDRESS
from postdesk.mail.bounce_recipients import first_address
from postdesk.mail.header_text import FOLD
from postdesk.mail.loading import load_message
from postdesk.mail.plain_headers import plain_mailbox

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def stdlib_header_text(msg: Message, name: str) -> str:
    """header_text as it was: every value through the stdlib's header objects."""
    try:
        return ", ".join(one_line(str(v)) for v in msg.get_all(name) or [])
    except Exception:
        raw = [str(v) for k, v in msg.raw_items() if k.lower() == name.lower()]
        return ", ".join(one_line(v) for v in raw)


def stdlib_first_address(value: str) -> str | None:
    """first_address as it was: getaddresses, then the address pattern."""
    try:
        for _name, address in getaddresses([value]):
            if "@" in address:
                return address.strip().lower()
    except Exception:
        pass
    match = ADDRESS.search(value)
    return match.group(0).lower() if match else None


def _parts(msg: Message) -> list[Message]:
    found = [msg]
    payload = msg.get_payload()
    if isinstance(payload, list):
        for part in payload:
            if isinstance(part, Message):
                found += _parts(part)
    return found


def _mismatches(msg: Message) -> list[tuple[str, str, str]]:
    wrong = []
    for part in _parts(msg):
        for name in {key for key, _ in part.raw_items()}:
            ours, theirs = header_text(part, name), stdlib_header_text(part, name)
            if ours != theirs:
                wrong.append((name, ours, theirs))
            elif name.lower() in ("from", "to", "cc", "reply-to", "sender", "return-path") \
                    and first_address(ours) != stdlib_first_address(ours):
                wrong.append((name, str(first_address(ours)), str(stdlib_first_address(ours))))
        for key, value in part.raw_items():  # what the parser's address reading gets
            text = FOLD.sub("", str(value))
            plain = plain_mailbox(text)
            if plain is not None and [plain] != getaddresses([text]):
                wrong.append((key, str(plain), str(getaddresses([text]))))
    return wrong


@pytest.mark.corpus
def test_every_header_of_the_corpus_reads_as_the_stdlib_reads_it() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    files = [p for p in sorted(CORPUS.rglob("*")) if p.suffix in (".eml", ".txt", ".msg")
             and p.is_file()]
    assert len(files) > 1000
    wrong = {}
    for path in files:
        if mismatches := _mismatches(load_message(path.read_bytes())):
            wrong[str(path.relative_to(CORPUS))] = mismatches[:3]
    assert not wrong


EDGES = [
    "Customer 1 <customer1@bench.example>", "customer@bench.example", "<a@b.example>",
    "John Q. Public <jqp@example.com>", '"Doe, Jane" <jane@example.com>', "Jane  Doe <j@x.y>",
    "a@b.example, c@d.example", "Undisclosed recipients:;", "=?utf-8?q?J=C3=B6rg?= <j@x.y>",
    "Jörg <j@x.y>", "Ann (work) <ann@x.y>", "ann@x.y (Ann)", "Ann <ann@[127.0.0.1]>",
    "Ann <.ann@x.y>", "Ann <ann..b@x.y>", "Ann <ann@x.y> ", " Ann <ann@x.y>", "Ann\t<ann@x.y>",
    "Ann <ann@x.y>\r\n", "Ann\r\n <ann@x.y>", "MAILER-DAEMON", "<>", "", "Ann <>", "<ann@x.y",
    "Ann =?x <a@b.c>", "a=?b@c.d", "Ann\\ B <a@b.c>", "Ann <a@b.c> extra", "1 <a@b.c>",
]
IDS = ["<bench.cpu.1@bench.example>", "<a@b>", "<a.b@c.d>", "a@b", "<a@b> <c@d>",
       "<a b@c>", "<a@[1.2.3.4]>", "<a@b>(comment)", " <a@b> ", "<=?x?=@b>", "<a@b>\r\n",
       "<\"q\"@b>", "<a@b.>", "<.a@b>", "<>"]
SUBJECTS = ["Printer on floor 3", "Re: [#12] Hello", "=?utf-8?b?SGVsbG8=?=", "a =?x", "Tab\there",
            "Folded\r\n line", "Ünïcode", "", "  spaced  ", "ctl\x01char", "x=?y?z", "semi; colon"]


def _message(headers: list[tuple[str, str]]) -> Message:
    raw = "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\nbody\r\n"
    return load_message(raw.encode("utf-8", "surrogateescape"))


@pytest.mark.parametrize("name,values", [("From", EDGES), ("To", EDGES), ("Sender", EDGES),
                                         ("Message-ID", IDS), ("Subject", SUBJECTS),
                                         ("X-Anything", SUBJECTS + EDGES)])
def test_values_at_the_edges_read_as_the_stdlib_reads_them(name: str, values: list[str]) -> None:
    for value in values:
        assert not _mismatches(_message([(name, value)])), value


def test_random_values_read_as_the_stdlib_reads_them() -> None:
    rng = random.Random(20261201)
    pieces = ["a", "Bo", "1", " ", "  ", "\t", ".", "@", "<", ">", ",", '"', "(", ")", "=?",
              "?=", ";", ":", "\\", "[", "]", "x.y", "é", "-", "_", "'", "\r\n "]
    for _ in range(3000):
        value = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        for name in ("From", "Message-ID", "Subject", "Reply-To"):
            assert not _mismatches(_message([(name, value)])), (name, value)
