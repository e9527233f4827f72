"""Quoted-printable text bodies (RFC 2045, section 6.7) with CRLF line ends.

The encoding of a line depends on that line alone (soft breaks and the
escaping of trailing white space restart at each line end), so a body is
encoded line by line and lines seen before come from a cache: most lines of a
notification are its layout, the same in every mail, and `binascii.b2a_qp`
takes longer over them than everything else that composes the message. The
result is byte for byte what `binascii.b2a_qp` gives for the whole body.
"""

from __future__ import annotations

import binascii

#: Lines longer than this are encoded each time (customer text, rarely repeated).
_CACHED_LINE = 256
_CACHE_SIZE = 4096
_encoded_lines: dict[bytes, bytes] = {}


def _encode_line(line: bytes) -> bytes:
    return binascii.b2a_qp(line, istext=True).replace(b"\n", b"\r\n")


def encode_text(body: bytes) -> bytes:
    """`body`, with LF line ends, as quoted-printable with CRLF line ends."""
    if b"\r" in body:  # line ends of another kind: b2a_qp decides what they are
        return _encode_line(body)
    cache = _encoded_lines
    parts = []
    for line in body.splitlines(keepends=True):
        encoded = cache.get(line)
        if encoded is None:
            encoded = _encode_line(line)
            if len(line) <= _CACHED_LINE:
                if len(cache) >= _CACHE_SIZE:
                    cache.clear()
                cache[line] = encoded
        parts.append(encoded)
    return b"".join(parts)
