"""Outgoing bodies encoded line by line, lines seen before kept: the bytes are
`binascii.b2a_qp`'s for the whole body (with CRLF line ends), whatever the lines hold."""

from __future__ import annotations

import binascii
import random

import pytest

from postdesk.mail import quoted_printable
from postdesk.mail.quoted_printable import KEPT_LINE_BYTES, KEPT_LINES, encode_body


def whole(body: bytes) -> bytes:
    return binascii.b2a_qp(body, istext=True).replace(b"\n", b"\r\n")


EDGES = [
    "plain line\n",
    "\n\n\n",
    "trailing space \nand tab\t\n",
    # a space or tab at the end of a line near the 76-character limit: where the soft
    # break goes depends on the whole line
    *(f"{'x' * n} \n" for n in range(70, 80)),
    *(f"{'x' * n}\t\n{'y' * n}=\n" for n in range(70, 80)),
    ".\n..\n. \nx.\n",
    "a=b, 100% <p style=\"color:#333\">Zażółć gęślą jaźń</p>\n",
    "\x00\x01\x7f control\n",
    "é" * 200 + "\n",
    "long " * 600 + "\n",  # over KEPT_LINE_BYTES: encoded, not kept
]


@pytest.mark.parametrize("text", EDGES)
def test_edges_give_b2a_qp_bytes(text: str) -> None:
    body = text.encode("utf-8")
    assert encode_body(body) == whole(body)
    assert encode_body(body) == whole(body)  # again, from the kept lines


def test_random_bodies_give_b2a_qp_bytes() -> None:
    pieces = ["word", " ", "\t", ".", "=", "é", "ß", "€", "\n", "\n", "x" * 70, "  \n", "=\n"]
    generator = random.Random(21)
    for _ in range(2000):
        text = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 40)))
        body = (text if text.endswith("\n") else text + "\n").encode("utf-8")
        assert encode_body(body) == whole(body), body


def test_kept_lines_are_bounded() -> None:
    quoted_printable._kept.clear()
    for number in range(KEPT_LINES + 10):
        encode_body(f"line {number}\n".encode())
    assert 0 < len(quoted_printable._kept) <= KEPT_LINES
    encode_body(b"z" * (KEPT_LINE_BYTES + 1) + b"\n")
    assert b"z" * (KEPT_LINE_BYTES + 1) not in quoted_printable._kept
