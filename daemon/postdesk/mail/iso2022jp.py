"""ISO-2022-JP with Microsoft's extensions, re-encoded as Shift_JIS bytes for CP932.

Python's iso2022 codecs reject the NEC circled digits and IBM kanji that
Microsoft's mailers write in ISO-2022-JP; re-encoding the JIS segments as
Shift_JIS lets the CP932 codec, which knows them, decode the text.
"""

from __future__ import annotations

import re

_ISO2022_ESCAPE = re.compile(rb"\x1b(\$@|\$B|\(B|\(J|\(I)")


def iso2022jp_to_cp932(data: bytes) -> bytes:
    """Re-encode ISO-2022-JP as Shift_JIS bytes (CP932 decodes the extensions)."""
    out = bytearray()
    mode = b"(B"
    position = 0
    for match in _ISO2022_ESCAPE.finditer(data):
        out += _shift_segment(data[position : match.start()], mode)
        mode = match.group(1)
        position = match.end()
    out += _shift_segment(data[position:], mode)
    return bytes(out)


def _shift_segment(segment: bytes, mode: bytes) -> bytes:
    if mode in (b"(B", b"(J"):
        return segment
    if mode == b"(I":
        return bytes(byte | 0x80 for byte in segment)
    out = bytearray()
    for index in range(0, len(segment) - 1, 2):
        out += _jis_to_sjis(segment[index], segment[index + 1])
    return bytes(out)


def _jis_to_sjis(first: int, second: int) -> bytes:
    if first & 1:
        second += 0x1F if second < 0x60 else 0x20
    else:
        second += 0x7E
    lead = ((first + 1) >> 1) + 0x70
    if lead >= 0xA0:
        lead += 0x40
    return bytes((lead & 0xFF, second & 0xFF))
