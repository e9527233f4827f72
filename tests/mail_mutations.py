"""Hostile variants of real-looking mail, and the pure path every mail takes, for fuzzing.

Shared by tests/unit/test_fuzz_mail.py (a few hundred fixed examples in `make test`)
and bench/fuzz.py (long runs). A mutation is a pure function of the mail's bytes and a
`random.Random`, so a failing case is reproduced from its seed. `read_mail` runs what
the worker runs on a mail before any database write: load, parse, classify, reply
extraction and the correlation decisions; an exception escaping it is a defect.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from postdesk.mail.address import find_subject_tag, read_reply_address, reply_address
from postdesk.mail.classify import DeskIdentity, classify
from postdesk.mail.parse import load_message, parse_loaded
from postdesk.mail.reply import extract_reply
from postdesk.mail.sender_fallback import with_sender
from postdesk.tickets.correlate import ThreadFacts, find_ticket

DESK = DeskIdentity(frozenset({"example.com"}), "X-Postdesk-Loop", "desk",
                    frozenset({"support@example.com"}))
SECRET = "fuzzing-secret"
SUPPORT = ("support@example.com",)

#: What parsing and classifying report instead of raising: counted as "swallowed".
SWALLOWED_DEFECTS = frozenset({"BodyParseError", "HeaderParseError", "AssembleError",
                               "UnparseableMessageDefect"})


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


SEEDS: tuple[bytes, ...] = (
    _crlf("From: Zoë Kowalska <zoe@customer.example>\nTo: support@example.com\n"
          "Subject: Printer on fire [#12]\nMessage-ID: <a1@customer.example>\n"
          "Date: Mon, 7 Dec 2026 09:00:00 +0100\nContent-Type: text/plain; charset=utf-8\n\n"
          "Hello,\nmy printer is on fire.\n\nOn Mon, Dec 7, 2026 Support wrote:\n> Thanks\n"),
    _crlf("From: Bob <bob@customer.example>\nTo: " + reply_address(SUPPORT[0], 12, "c", SECRET)
          + "\nSubject: Re: [#12] Printer\nIn-Reply-To: <x@example.com>\nMIME-Version: 1.0\n"
          "Content-Type: multipart/alternative; boundary=ALT\n\n--ALT\n"
          "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: "
          "quoted-printable\n\nGr=FC=DFe, it works.\n--ALT\nContent-Type: text/html\n\n"
          "<html><body><p>Gr&uuml;&szlig;e, <b>it works</b>.</p><blockquote>old"
          "</blockquote></body></html>\n--ALT--\n"),
    _crlf("From: Ann <ann@customer.example>\nTo: support@example.com\nSubject: =?utf-8?B?"
          "0JfQsNC/0YDQvtGB?=\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=MIX\n"
          "\n--MIX\nContent-Type: text/plain\n\nSee the log.\n--MIX\nContent-Type: "
          "application/octet-stream\nContent-Disposition: attachment; filename*=utf-8''"
          "r%C3%A9sum%C3%A9.log\nContent-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ=\n"
          "--MIX\nContent-Type: message/rfc822\n\nFrom: c@d.example\nSubject: inner\n\n"
          "inner body\n--MIX--\n"),
    _crlf("From: MAILER-DAEMON@mx.customer.example\nTo: support@example.com\n"
          "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
          "Content-Type: multipart/report; report-type=delivery-status; boundary=R\n\n--R\n"
          "Content-Type: text/plain\n\nThe mail to bob@customer.example could not be "
          "delivered.\n--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"
          "Final-Recipient: rfc822; bob@customer.example\nAction: failed\nStatus: 5.1.1\n\n--R\n"
          "Content-Type: text/rfc822-headers\n\nMessage-ID: <t12.1@example.com>\n--R--\n"),
    _crlf("From: out@customer.example\nTo: support@example.com\nSubject: Out of office\n"
          "Auto-Submitted: auto-replied\n\nI am away until Monday.\n"),
)

_CHARSETS = ("utf\xff8", "\x00", "utf-7", "iso-2022-jp", "x-unknown", "gb2312", "koi8-r",
             "utf-16", "unicode-1-1-utf-7", "", '"', "utf-8*en", "cp1252'; x=\"")
_ENCODINGS = ("base64", "quoted-printable", "x-uuencode", "8bit", "binary", "7bit; x=1",
              "base-64", "\xff")
_ENCODED_WORDS = ("=?utf-8?B?w6k?=", "=?utf-8?Q?=E9=?=", "=?\x00?B?AAAA?=", "=?utf-8?X?a?=",
                  "=?iso-8859-1?q?caf=e9?==?utf-8?b?", "=?utf\xff8?B?w6k=?=", "=??B??=")


def _truncate(raw: bytes, rng: random.Random, big: bool) -> bytes:
    return raw[: rng.randrange(len(raw) + 1)]


def _flip_bytes(raw: bytes, rng: random.Random, big: bool) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 8)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _remove_boundaries(raw: bytes, rng: random.Random, big: bool) -> bytes:
    lines = raw.split(b"\r\n")
    kept = [line for line in lines if not (line.startswith(b"--") and rng.random() < 0.6)]
    return b"\r\n".join(kept)


def _duplicate_headers(raw: bytes, rng: random.Random, big: bool) -> bytes:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    extra = [rng.choice(lines) for _ in range(rng.randint(1, 20))] if lines else []
    return b"\r\n".join(lines + extra) + b"\r\n\r\n" + body


def _nest_multiparts(raw: bytes, rng: random.Random, big: bool) -> bytes:
    depth = rng.choice((5, 30, 200, 1200) if big else (5, 30, 60))
    opening = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
                       for i in range(depth))
    return b"From: a@b.example\r\nMIME-Version: 1.0\r\n" + opening + raw


def _nest_messages(raw: bytes, rng: random.Random, big: bool) -> bytes:
    for _ in range(rng.choice((3, 40, 300) if big else (3, 20))):
        raw = b"Content-Type: message/rfc822\r\n\r\n" + raw
    return b"From: a@b.example\r\nMIME-Version: 1.0\r\n" + raw


def _odd_charset(raw: bytes, rng: random.Random, big: bool) -> bytes:
    charset = rng.choice(_CHARSETS).encode("latin-1")
    return re.sub(rb"(?i)charset=[^;\r\n]*", b"charset=" + charset, raw, count=0) if \
        b"charset" in raw.lower() else raw.replace(
            b"\r\n\r\n", b"\r\nContent-Type: text/plain; charset=" + charset + b"\r\n\r\n", 1)


def _odd_transfer_encoding(raw: bytes, rng: random.Random, big: bool) -> bytes:
    cte = rng.choice(_ENCODINGS).encode("latin-1")
    return raw.replace(b"\r\n\r\n", b"\r\nContent-Transfer-Encoding: " + cte + b"\r\n\r\n", 1)


def _long_lines(raw: bytes, rng: random.Random, big: bool) -> bytes:
    unit = rng.choice((b"a", b"<", b"=", b"> ", b"@", b"\"", b"(", b" ", b"=?"))
    run = unit * (rng.choice((1000, 20_000, 100_000) if big else (1000, 5000)) // len(unit))
    where = rng.choice(("subject", "from", "body", "to"))
    if where == "body":
        return raw + run + b"\r\n"
    name = {"subject": b"Subject", "from": b"From", "to": b"To"}[where]
    return raw.replace(b"\r\n", b"\r\n" + name + b": " + run + b"\r\n", 1)


def _encoded_word_junk(raw: bytes, rng: random.Random, big: bool) -> bytes:
    junk = "".join(rng.choice(_ENCODED_WORDS) for _ in range(rng.randint(1, 200 if big else 40)))
    name = rng.choice(("Subject", "From", "To", "Content-Disposition: attachment; filename"))
    sep = "=" if name.endswith("filename") else ": "
    line = f"{name}{sep}\"{junk}\"" if sep == "=" else f"{name}{sep}{junk}"
    return raw.replace(b"\r\n", b"\r\n" + line.encode("latin-1") + b"\r\n", 1)


def _deep_html(raw: bytes, rng: random.Random, big: bool) -> bytes:
    tag = rng.choice(("<div>", "<p", "<table><tr><td>", "<!--", "<b><i>", "<a href='"))
    depth = rng.choice((100, 3000, 20_000) if big else (100, 600))
    html = (tag * depth).encode() + b"text"
    return (b"From: a@b.example\r\nSubject: html\r\nContent-Type: text/html\r\n\r\n" + html
            if rng.random() < 0.5 else raw + html)


def _line_endings(raw: bytes, rng: random.Random, big: bool) -> bytes:
    ending = rng.choice((b"\n", b"\r", b"\r\r\n", b"\n\r"))
    return raw.replace(b"\r\n", ending)


#: Each takes the mail, the random source and whether to build the large variants
#: (bench/fuzz.py) or only small ones (the test run in `make test`).
MUTATIONS: dict[str, Callable[[bytes, random.Random, bool], bytes]] = {
    "truncation": _truncate,
    "byte flips": _flip_bytes,
    "boundary removal": _remove_boundaries,
    "header duplication": _duplicate_headers,
    "nested multiparts": _nest_multiparts,
    "nested message/rfc822": _nest_messages,
    "odd charsets": _odd_charset,
    "odd transfer encodings": _odd_transfer_encoding,
    "long lines": _long_lines,
    "encoded-word junk": _encoded_word_junk,
    "deep HTML": _deep_html,
    "line endings": _line_endings,
}


def mutated(seed: bytes, kinds: list[str], rng: random.Random, *, big: bool = True) -> bytes:
    """``seed`` with the mutations ``kinds`` applied in order."""
    for kind in kinds:
        seed = MUTATIONS[kind](seed, rng, big)
    return seed


@dataclass(frozen=True)
class Reading:
    """What the pure path made of one mail, and what it reported instead of raising."""

    kind: str
    swallowed: tuple[str, ...]


def read_mail(raw: bytes) -> Reading:
    """The worker's pure path over ``raw``: parse, sender, classify, reply, correlation."""
    msg = load_message(raw)
    parsed = with_sender(parse_loaded(msg), "")
    verdict = classify(msg, envelope_from=None, desk=DESK)
    reply = extract_reply(parsed.text, html=parsed.html)
    assert isinstance(reply.new_text, str)
    tokens = [read_reply_address(a.email, SECRET, SUPPORT) for a in parsed.to + parsed.cc]
    token = next((t for t in tokens if t is not None), None)
    assert parsed.sender is not None
    tag = find_subject_tag(parsed.subject)
    find_ticket(ThreadFacts(sender=parsed.sender.normalized,
                            token_ticket=token.ticket_id if token else None,
                            tagged_ticket=tag, tagged_ticket_people=frozenset()))
    swallowed = tuple(sorted(SWALLOWED_DEFECTS.intersection(parsed.defects)))
    if verdict.kind == "suspicious":
        swallowed += (verdict.reason,)
    return Reading(verdict.kind, swallowed)
