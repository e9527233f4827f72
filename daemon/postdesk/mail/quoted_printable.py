"""Quoted-printable bodies for outgoing mail, line by line with the lines seen before kept.

`binascii.b2a_qp` reads each byte twice and costs some 60 instructions a byte: a
desk's mails are mostly the same lines (the layout, its styles, the greeting, a
knowledge-base article suggested again), so each line is encoded once and its
encoding kept. Quoted-printable is line-local: with LF line ends (no CR anywhere) the
encoding of a body is the encodings of its lines, each with its LF, one after the other
(`b2a_qp` carries only the line's length across bytes, and starts it again at each
LF), so the bytes are `b2a_qp`'s exactly (tests compare them).

Kept: up to `KEPT_LINES` lines of at most `KEPT_LINE_BYTES` bytes; when full, all are
forgotten at once (a cheap bound, and the common lines come back at the next mail).
"""

from __future__ import annotations

import binascii

#: Lines kept at most (a few mails' worth of distinct lines in every language).
KEPT_LINES = 4096
#: Longer lines are encoded each time and not kept (a quoted customer's long line).
KEPT_LINE_BYTES = 2000

_kept: dict[bytes, bytes] = {}


def encode_body(body: bytes) -> bytes:
    """`body` (LF line ends, no CR, ending with LF) quoted-printable with CRLF line
    ends: `b2a_qp(body, istext=True)` with each LF made CRLF."""
    kept = _kept
    out = []
    for line in body.split(b"\n")[:-1]:  # the body ends with LF: the last piece is empty
        encoded = kept.get(line)
        if encoded is None:
            encoded = binascii.b2a_qp(line + b"\n", istext=True).replace(b"\n", b"\r\n")
            if len(line) <= KEPT_LINE_BYTES:
                if len(kept) >= KEPT_LINES:
                    kept.clear()
                kept[line] = encoded
        out.append(encoded)
    return b"".join(out)
