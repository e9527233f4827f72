"""Files uuencoded into a text body (old Lotus Notes and friends), cut out as attachments."""

from __future__ import annotations

import binascii
import re

from postdesk.mail.attachments import PendingAttachment, type_for_name

_UU_BEGIN = re.compile(r"^begin [0-7]{3,4} (?P<name>[^\n]+?)[ \t]*$", re.MULTILINE)


_UU_END = re.compile(r"^end[ \t]*$", re.MULTILINE)


def extract_uuencoded(text: str) -> tuple[str, list[PendingAttachment]]:
    """Cut uuencoded files ("begin 644 name" ... "end") out of a text body."""
    if "begin " not in text:
        return text, []
    files: list[PendingAttachment] = []
    kept: list[str] = []
    position = 0
    for begin in _UU_BEGIN.finditer(text):
        if begin.start() < position:
            continue
        end = _UU_END.search(text, begin.end())
        if end is None:
            break
        data = _uudecode(text[begin.end() : end.start()])
        if data is None:
            continue
        kept.append(text[position : begin.start()])
        position = end.end() + 1 if text[end.end() : end.end() + 1] == "\n" else end.end()
        files.append(
            PendingAttachment(
                filename=begin.group("name"),
                content_type=type_for_name(begin.group("name")),
                data=data,
                content_id=None,
                disposition="attachment",
            )
        )
    kept.append(text[position:])
    return "".join(kept), files


def _uudecode(block: str) -> bytes | None:
    decoded = bytearray()
    for line in block.split("\n"):
        if not line.strip():
            continue
        chunk = _uudecode_line(line.rstrip("\r"))
        if chunk is None:
            return None
        decoded += chunk
    return bytes(decoded)


def _uudecode_line(line: str) -> bytes | None:
    try:
        return binascii.a2b_uu(line)
    except (binascii.Error, ValueError):
        pass
    # Some encoders pad lines with garbage; trust the length byte instead.
    length = (((ord(line[0]) - 32) & 63) * 4 + 5) // 3
    try:
        return binascii.a2b_uu(line[:length])
    except (binascii.Error, ValueError):
        return None
