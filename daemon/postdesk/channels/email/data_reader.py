"""Reading a mail's data in large blocks instead of line by line.

aiosmtpd reads the data of a mail one line at a time and keeps each line as a
small object of its own until the end: about 650,000 objects for a 25 MB mail
(base64 lines of 78 octets). Python's small-object allocator keeps the memory
of such objects in arenas of its own, and one surviving object anywhere in an
arena keeps the whole arena: ten maximum-size mails left the daemon 45-66 MiB
above its idle size for good (issue 25, point 8). This protocol mixin reads the
data in blocks of `BLOCK` octets and finds the end line (".", RFC 5321 section
4.5.2) in them; what it gives the handler is byte for byte what aiosmtpd gave
(`envelope.content` and `envelope.original_content`: the data with the first
dot of each line removed, its last CRLF kept).

The pure part (`unstuff`, `DataEnd`) is separate from the reading (`read_data`).
A line end is CRLF only (a bare LF or CR is data, as in aiosmtpd: the end of
the data is never found at "<LF>.<LF>", which is how SMTP smuggling works).
A mail over ``[smtp] max_message_size`` is read to its end and answered
``552``, as before; it is now ``552`` also when one line alone is longer than
the limit (aiosmtpd said "500 Line too long" then, which sent the sender's
postmaster looking for a long line instead of a large mail).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.smtp import MISSING

log = logging.getLogger(__name__)

#: Octets read at a time (at most this much more is waiting in the stream's buffer);
#: above glibc's mmap threshold (`memory_release.MAP_FROM`), so that each block has
#: pages of its own, returned to the system as soon as it is freed.
BLOCK = 256 * 1024

#: The end of the data after a line: "<CRLF>.<CRLF>" without the CR, searched for in
#: the stream; the CR before it is checked separately (see `DataEnd`).
_LF_DOT_CRLF = b"\n.\r\n"
_CR = b"\r"
TOO_MUCH = "552 Error: Too much mail data"


def unstuff(data: bytes) -> bytes:
    """`data` (CRLF-ended lines, as sent) without the first "." of each line that starts
    with one (RFC 5321 section 4.5.2): one pass in C over the whole mail, and `data`
    itself when no line starts with a dot (base64 never does)."""
    if data[:1] == b".":
        data = data[1:]
    return data.replace(b"\r\n.", b"\r\n")


class DataEnd:
    """Where the data read so far stands against its end line: the last two octets read
    (a line starts after CRLF, and the data's first line after nothing)."""

    def __init__(self) -> None:
        self.tail = b"\r\n"  # the data starts at the beginning of a line

    @property
    def at_line_start(self) -> bool:
        return self.tail == b"\r\n"

    def ends_with(self, block: bytes) -> bool:
        """Whether `block`, read after what came before it and ending with "<LF>.<CRLF>",
        ends the data: only if a CR precedes that LF (a bare LF ends no line)."""
        if len(block) > len(_LF_DOT_CRLF):
            return block[-5:-4] == _CR
        return self.tail[-1:] == _CR

    def add(self, block: bytes) -> None:
        """`block` was read and belongs to the data."""
        self.tail = (self.tail + block[-2:])[-2:]


class DataSize:
    """The size of the data against `limit`: past it, what was kept is dropped and
    nothing more is kept, but the data is read to its end all the same (the sender
    waits for an answer after its end line, RFC 5321 section 4.2.5)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.kept: list[Any] = []  # bytes, or a memoryview of the last block

    @property
    def too_much(self) -> bool:
        return self.size > self.limit

    def add(self, block: Any) -> None:
        self.size += len(block)
        if self.too_much:
            self.kept.clear()
        else:
            self.kept.append(block)

    def data(self) -> bytes:
        """The data as sent, and lets go of the blocks."""
        joined = b"".join(self.kept)
        self.kept.clear()
        return joined


async def _through(reader: asyncio.StreamReader, separator: bytes) -> bytes:
    """The stream up to and with the next `separator`, or the next block of at most
    about the stream's limit that certainly does not start one."""
    try:
        return await reader.readuntil(separator)
    except asyncio.LimitOverrunError as exc:
        return await reader.readexactly(exc.consumed)


async def read_data(reader: asyncio.StreamReader, limit: int) -> bytes | None:
    """The data of a mail from `reader`, after the 354 reply: as sent (dot-stuffed, with
    its last CRLF, without the end line), or None when it was longer than `limit`.

    Between two line starts the stream is searched for "<LF>.<CRLF>" in blocks (C code);
    at a line start, which only the first line and a block ending in CRLF bring, it is
    read up to the next CR, so that a following end line is seen whole."""
    end, size = DataEnd(), DataSize(limit)
    saved = reader._limit  # type: ignore[attr-defined]
    reader._limit = BLOCK  # type: ignore[attr-defined]  # the block size of `_through`
    try:
        while True:
            if end.at_line_start:
                block = await _through(reader, _CR)
                if block == b".\r":
                    following = await reader.readexactly(1)
                    if following == b"\n":
                        break
                    block += following
            else:
                block = await _through(reader, _LF_DOT_CRLF)
                if block.endswith(_LF_DOT_CRLF) and end.ends_with(block):
                    size.add(memoryview(block)[:-3])  # the CRLF before the end line stays
                    break
            end.add(block)
            size.add(block)
    finally:
        reader._limit = saved  # type: ignore[attr-defined]
    if size.too_much:
        return None
    return size.data()


class BlockData:
    """Mixin for aiosmtpd's SMTP/LMTP protocol classes, right before aiosmtpd's class (after
    the mixins that wrap its DATA step): the data of a mail read in blocks.

    Only what the desk uses goes this way (bytes to a `handle_DATA` hook, a size limit);
    anything else (`decode_data`, the old `process_message` API, no limit) is aiosmtpd's
    own DATA step, unchanged. Its checks and replies before and after the data are
    aiosmtpd 1.4.6's; tests/unit/test_data_reader.py compares every answer and what the
    hook gets with the installed aiosmtpd's own DATA step, so an upgrade that changes
    them fails there."""

    data_size_limit: int | None
    envelope: Any
    _reader: asyncio.StreamReader
    _writer: Any
    _decode_data: bool
    _handle_hooks: dict[str, Any]

    async def smtp_DATA(self, arg: str) -> None:
        parent: Any = super()
        limit = self.data_size_limit
        if not limit or self._decode_data or "DATA" not in self._handle_hooks:
            return await parent.smtp_DATA(arg)
        me: Any = self
        if await me.check_helo_needed() or await me.check_auth_needed("DATA"):
            return None
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await me.push("503 Error: need RCPT command")
            return None
        if arg:
            await me.push("501 Syntax: DATA")
            return None
        await me.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            data = await read_data(self._reader, limit)
        except asyncio.CancelledError:
            log.info("Connection lost during DATA")
            self._writer.close()
            raise
        if data is None:
            await me.push(TOO_MUCH)
            me._set_post_data_state()
            return None
        data = unstuff(data)
        self.envelope.content = self.envelope.original_content = data
        del data
        status = await me._call_handler_hook("DATA")
        me._set_post_data_state()
        await me.push("250 OK" if status is MISSING else status)
        return None
