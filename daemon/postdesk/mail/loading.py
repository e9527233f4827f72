"""Raw bytes to a stdlib message and back, never raising, whatever the bytes are.

The standard library's parser (``policy.default``) does the work (asking about
boundaries only on lines that can be one: `boundary_lines`); a message it
cannot parse is retried with compat32 and, as a last resort, kept as one text
part with an ``UnparseableMessageDefect``, so nothing is lost.
"""

from __future__ import annotations

import re
from email import errors, policy
from email.message import EmailMessage, Message

from postdesk.mail.address_cap import DEFAULT_MAX_ADDRESS_HEADER
from postdesk.mail.boundary_lines import NestedTooDeep, parse_bytes
from postdesk.mail.header_block import mend_header_block
from postdesk.mail.header_cache import CACHING_POLICY, caching_policy
from postdesk.mail.mime_params import mend_parameters

#: How deep `parse.parse_loaded` walks a MIME tree unless told (``[limits] max_mime_depth``).
DEFAULT_MAX_MIME_DEPTH = 20
#: Mail nested deeper is kept as one text part: no reader walks that deep, and parsing
#: costs some 0.5 ms per level (the standard library's own recursion ends near 1,000).
MAX_PARSED_DEPTH = 100

#: Writes headers as they came; the generator reads a part's Content-Type and
#: Content-Transfer-Encoding through this policy, so it caps and memoises them as parsing
#: does (`structured_cap`: 300 KB of HTML in a Content-Transfer-Encoding cost 28 s here).
_SERIALIZE_POLICY = CACHING_POLICY.clone(refold_source="none")


#: A parameter name with an RFC 2231 star ("title*", "filename*0*"): only those can make
#: the stdlib's parameter decoding raise, so only such mails are walked for them.
_RFC2231_PARAMETER = re.compile(rb"[A-Za-z0-9_-]\*")


class UnparseableMessageDefect(errors.MessageDefect):
    """The stdlib parser failed (e.g. absurd nesting); the bytes are kept as one text part."""


class StrayHeaderLineDefect(errors.MessageDefect):
    """Lines in the header block that are no header were skipped (see header_block)."""


def load_message(raw: bytes, *, max_address_header: int = DEFAULT_MAX_ADDRESS_HEADER,
                 max_depth: int = DEFAULT_MAX_MIME_DEPTH) -> EmailMessage:
    """Parse bytes with the standard library (policy.default, headers memoised); never raises.

    A message the default policy cannot parse is retried with compat32, and
    as a last resort returned as one text part holding the bytes, with an
    ``UnparseableMessageDefect``. Address headers are read for addresses up to
    ``max_address_header`` characters (see `address_cap`; the policy carries it).
    A mail whose parts nest deeper than `MAX_PARSED_DEPTH` (or one level past
    ``max_depth``, the depth to which `parse_loaded` walks, if that is more) is kept
    that way too: the standard library's cost grows with each level (`boundary_lines`).
    """
    data, stray = mend_header_block(_as_bytes(raw))
    for parse_policy in (caching_policy(max_address_header), policy.compat32):
        try:
            parsed = parse_bytes(data, parse_policy, max(MAX_PARSED_DEPTH, max_depth + 1))
        except (RecursionError, NestedTooDeep):
            break  # compat32 nests the same way; do not pay for it twice
        except Exception:  # the stdlib parser has crashed on hostile input before
            continue
        if isinstance(parsed, EmailMessage):
            if stray:
                parsed.defects.append(StrayHeaderLineDefect())
            if b"*" in data and _RFC2231_PARAMETER.search(data):
                mend_parameters(parsed)
            return parsed
    msg = EmailMessage()
    msg.set_payload(data.decode("ascii", errors="surrogateescape"))
    msg.defects.append(UnparseableMessageDefect())
    return msg


def _as_bytes(raw: object) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode("utf-8", errors="surrogateescape")
    try:
        return bytes(raw)  # type: ignore[call-overload]
    except Exception:
        return b""


def message_bytes(msg: Message) -> bytes:
    for serialize_policy in (_SERIALIZE_POLICY, policy.compat32):
        try:
            return msg.as_bytes(policy=serialize_policy)
        except Exception:  # e.g. RecursionError on absurd nesting, bad header objects
            continue
    return b""
