"""Folder names on the wire: IMAP's modified UTF-7 (RFC 3501 section 5.1.3).

IMAP4rev1 servers name folders in 7-bit ASCII. Printable ASCII stands for
itself, except "&", which is written "&-"; any run of other characters is
written as "&", the modified base64 (with "," for "/", no padding) of its
UTF-16BE bytes, and "-". So `Obsłużone` travels as `Obs&AUI-u&AXw-one` and
`Erledigt/Ältere` as `Erledigt/&AMQ-ltere`.

Postdesk's config holds the folder names as people write them; the session
encodes them for SELECT, MOVE and COPY and decodes what LIST returns.
"""

from __future__ import annotations

import base64
import binascii

_DIRECT = frozenset(range(0x20, 0x7F)) - {ord("&")}


class FolderNameError(ValueError):
    """A folder name from the server is not valid modified UTF-7."""


def encode_folder(name: str) -> str:
    """The modified UTF-7 form of a folder name, as IMAP commands carry it."""
    out: list[str] = []
    pending: list[str] = []  # characters waiting to be written as one base64 run

    def flush() -> None:
        if pending:
            utf16 = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(utf16).decode("ascii").rstrip("=")
                       .replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if ord(char) in _DIRECT:
            flush()
            out.append(char)
        elif char == "&":
            flush()
            out.append("&-")
        else:
            pending.append(char)
    flush()
    return "".join(out)


def decode_folder(wire: str) -> str:
    """The folder name a person reads, from its modified UTF-7 form."""
    out: list[str] = []
    position = 0
    while position < len(wire):
        start = wire.find("&", position)
        if start < 0:
            out.append(wire[position:])
            break
        out.append(wire[position:start])
        end = wire.find("-", start)
        if end < 0:
            raise FolderNameError(f"folder name {wire!r}: '&' at {start} is never closed by '-'")
        run = wire[start + 1:end]
        out.append("&" if not run else _decode_run(wire, run))
        position = end + 1
    return "".join(out)


def _decode_run(wire: str, run: str) -> str:
    padded = run.replace(",", "/") + "=" * (-len(run) % 4)
    try:
        utf16 = base64.b64decode(padded, validate=True)
        text = utf16.decode("utf-16-be")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise FolderNameError(f"folder name {wire!r}: {run!r} is not modified UTF-7 "
                              f"({exc})") from exc
    return text
