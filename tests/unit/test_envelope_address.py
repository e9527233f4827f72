"""The quick reading of MAIL FROM / RCPT TO addresses gives exactly what aiosmtpd's own
parser gives, for the plain addresses it reads and for everything it passes on."""

from __future__ import annotations

import random

import pytest
from aiosmtpd.smtp import SMTP

from postdesk.channels.email.envelope_address import QuickEnvelopeAddress
from postdesk.channels.email.smtp import DeskLMTP, DeskSMTP


class _Quick(QuickEnvelopeAddress, SMTP):
    pass


def readers(limit: int) -> tuple[SMTP, SMTP]:
    quick, plain = _Quick.__new__(_Quick), SMTP.__new__(SMTP)
    quick.local_part_limit = plain.local_part_limit = limit
    return quick, plain


def read(reader: SMTP, arg: str, parse: object) -> object:
    """What reading gives: the (address, rest) pair, or the error it raises (aiosmtpd's
    own parser raises AttributeError on some broken forms; the quick one must too)."""
    try:
        return parse(reader, arg)  # type: ignore[operator]
    except Exception as exc:
        return type(exc)


def same(quick: SMTP, plain: SMTP, arg: str) -> bool:
    return read(quick, arg, type(quick)._getaddr) == read(plain, arg, SMTP._getaddr)


CASES = [
    "<a@b.c>", "<a@b.c> SIZE=1", "<a@b.c>  SIZE=1 BODY=8BITMIME", "<a@b.c> SIZE=1 ",
    "<a@b.c>\tSIZE=1", " <a@b.c>", "<a.b+c@sub.example.com>", "<A@B.C>", "<x@y>",
    "<o'brien@example.ie>", "<support+7f3a9c@example.com>", "<>", "<> SIZE=5",
    '<"x y"@b.c>', "<a..b@c>", "<.a@b.c>", "<a.@b.c>", "<@relay:a@b.c>", "a@b.c",
    "<a@[127.0.0.1]>", "<a@b.c>SIZE=1", "<a@-b.c>", "<a@b-.c>", "<Zoë@b.c>", "",
    "<a@b.c", "a@b.c>", "<a@b.c> (comment)", "<a(comment)@b.c>", "<a b@c.d>",
]


@pytest.mark.parametrize("limit", [0, 3])
def test_every_form_reads_as_aiosmtpd_reads_it(limit: int) -> None:
    quick, plain = readers(limit)
    for arg in CASES:
        assert same(quick, plain, arg), arg


def test_generated_addresses_read_as_aiosmtpd_reads_them() -> None:
    rng = random.Random(20261201)
    alphabet = "abcXYZ09.-+_'@<> \t\"[]():,;\\é"
    quick, plain = readers(0)
    for _ in range(3000):
        arg = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        if rng.random() < 0.5:
            arg = f"<{arg}@example.com>" + rng.choice(["", " SIZE=10", "  BODY=8BITMIME "])
        assert same(quick, plain, arg), arg


def test_the_desk_listeners_use_the_quick_reading() -> None:
    assert DeskSMTP._getaddr is QuickEnvelopeAddress._getaddr
    assert DeskLMTP._getaddr is QuickEnvelopeAddress._getaddr
