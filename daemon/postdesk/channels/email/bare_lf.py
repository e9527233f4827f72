"""A clear answer to mail sent with bare LF line ends.

RFC 5321 (section 2.3.8) requires CRLF line ends in SMTP, and servers must
not take a bare LF for one: "<LF>.<LF>" accepted as the end of the data is
how SMTP smuggling works. aiosmtpd therefore reads the data line by line up
to each CRLF. A mail written with bare LF ends (a script that sends a Unix
file's bytes as they are) then reads as one endless line, and aiosmtpd
answers "500 Line too long", which sends its author looking in the wrong
place. This protocol mixin watches the data for bare LFs and, in that case
only, says what is wrong. Nothing else changes: a short mail with bare LFs
is still one line within the limit and is accepted as before. Since data lines
may be longer than that limit (`postdesk.channels.email.long_lines`), the
handler asks `refuse_bare_lf` whether such a mail would have been refused;
since the data is read in blocks (`postdesk.channels.email.data_reader`), that
is where it is refused, and the reply rewritten here only matters where
aiosmtpd's own DATA step still reads (no size limit).
"""

from __future__ import annotations

from typing import Any

from postdesk.channels.email.long_lines import longest_line

#: The reply instead of "500 Line too long" when the data had bare LF line ends.
BARE_LF_REPLY = ("500 5.5.2 Line ends must be CRLF: this mail has bare LF line ends "
                 "(RFC 5321 section 2.3.8); convert them to CRLF and send it again")

_TOO_LONG = "500 Line too long"
#: The longest line, CRLF included, of a mail with bare LF ends that is still accepted.
_SHORT_MAIL = 1001


def _has_bare_lf(data: bytes, after: bytes) -> bool:
    """Whether `data`, which follows the byte `after`, has an LF without a CR before it
    (counted in C: every LF against every CRLF, the chunk's first byte against `after`)."""
    line_feeds = data.count(b"\n")
    if not line_feeds:
        return False
    joined = 1 if data[:1] == b"\n" and after == b"\r" else 0
    return line_feeds > data.count(b"\r\n") + joined


class BareLfReply:
    """Mixin for aiosmtpd's SMTP/LMTP protocol classes (put it first in the bases)."""

    _in_data = False
    _bare_lf = False
    _last_byte = b""

    def data_received(self, data: bytes) -> None:
        if self._in_data and not self._bare_lf:
            self._bare_lf = _has_bare_lf(data, after=self._last_byte)
            self._last_byte = data[-1:]
        super().data_received(data)  # type: ignore[misc]

    async def smtp_DATA(self, arg: str) -> None:
        self._in_data, self._bare_lf, self._last_byte = True, False, b""
        try:
            await super().smtp_DATA(arg)  # type: ignore[misc]
        finally:
            self._in_data = False

    async def push(self, status: Any) -> None:
        if self._in_data and self._bare_lf and isinstance(status, str) \
                and status.startswith(_TOO_LONG):
            status = BARE_LF_REPLY
        await super().push(status)  # type: ignore[misc]


def refuse_bare_lf(server: Any, data: bytes) -> bool:
    """Whether the mail just read by `server` has bare LF line ends and is longer than
    one RFC 5321 line: the mail to answer with `BARE_LF_REPLY`."""
    return bool(getattr(server, "_bare_lf", False)) and longest_line(data) > _SHORT_MAIL
