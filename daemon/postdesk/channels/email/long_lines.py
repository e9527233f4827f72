"""Mail lines longer than RFC 5321's 1,000 octets, accepted as sent.

RFC 5321 (section 4.5.3.1.6) limits a line of text to 1,000 octets with its
CRLF, and aiosmtpd refuses a longer DATA line with a permanent ``500 Line too
long``: the sender's server bounces the mail. Real mail breaks that limit
(Outlook writes HTML with lines of several kilobytes), and Postfix accepts
it. So while the data of a mail is read, a line may be as long as the whole
message may be (``[smtp] max_message_size``); the bytes are stored exactly as
sent and only folded or re-encoded on output. Command lines keep the strict
limit. A mail with bare LF line ends is still refused as before
(`postdesk.channels.email.bare_lf`): a long "line" made of LF-separated lines
is that mail, not a long line.
"""

from __future__ import annotations

from typing import Any

#: RFC 5321's limit, CRLF included, that aiosmtpd applies to every line.
RFC_LINE_LIMIT = 1001


class LongDataLines:
    """Mixin for aiosmtpd's SMTP/LMTP protocol classes: DATA lines up to the size limit."""

    line_length_limit: int
    data_size_limit: int | None

    async def smtp_DATA(self, arg: str) -> None:
        reader: Any = self._reader  # type: ignore[attr-defined]
        # aiosmtpd reads each line with the stream's own limit, set once for commands
        # and data alike; there is no public way to change it for the data only
        saved = reader._limit, self.line_length_limit
        room = max(self.data_size_limit or 0, RFC_LINE_LIMIT) + 2
        reader._limit = self.line_length_limit = room
        try:
            await super().smtp_DATA(arg)  # type: ignore[misc]
        finally:
            reader._limit, self.line_length_limit = saved


def longest_line(data: bytes) -> int:
    """Length of the longest CRLF-ended line in `data`, CRLF included."""
    longest, start = 0, 0
    while (end := data.find(b"\r\n", start)) >= 0:
        longest = max(longest, end + 2 - start)
        start = end + 2
    return max(longest, len(data) - start)
