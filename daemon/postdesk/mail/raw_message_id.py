"""The Message-ID of raw mail, read from its header block without parsing the mail.

For the acceptance log line and `postdesk inbound`: what Postfix operators grep
for, cheap enough to read at 250 time and for a page of stored mails.
"""

from __future__ import annotations

import re

#: Where the Message-ID is looked for: the header block, at most this many bytes of it.
HEAD_BYTES = 65536

_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(<[^>\r\n]{1,250}>)", re.IGNORECASE | re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID (with its angle brackets) of the header block; None if there is none."""
    head = raw[:HEAD_BYTES]
    end = _HEADER_END.search(head)
    found = _MESSAGE_ID.search(head[:end.start() + 1] if end else head)
    return found.group(1).decode("ascii", "replace") if found else None
