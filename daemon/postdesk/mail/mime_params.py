"""MIME parameters the standard library cannot read, dropped from the parsed view.

``Content-Type:;title*1="";title*`` mixes a numbered RFC 2231 continuation with
an unnumbered one, and ``email.utils.decode_params`` raises TypeError on it;
every later ``get_param``, ``get_content_charset`` or ``get_filename`` of that
part raises again, wherever in the desk it is asked. A part whose parameters
raise keeps only those that read on their own (the raw bytes stay stored).
"""

from __future__ import annotations

from email import errors
from email.message import Message

_PARAM_HEADERS = ("content-type", "content-disposition")
#: Parts looked at, at most: a mail of absurd nesting is cut by the MIME walk anyway.
_MOST_PARTS = 2000


class UnreadableParametersDefect(errors.MessageDefect):
    """A Content-Type or Content-Disposition had parameters the stdlib cannot read."""


def mend_parameters(msg: Message) -> None:
    """Drop the RFC 2231 parameters that make the stdlib raise, part by part."""
    stack: list[Message] = [msg]
    seen = 0
    while stack and seen < _MOST_PARTS:
        part = stack.pop()
        seen += 1
        for name in _PARAM_HEADERS:
            _mend_header(part, name)
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend(sub for sub in payload if isinstance(sub, Message))


def _mend_header(part: Message, name: str) -> None:
    raw = _raw_value(part, name)
    if raw is None or "*" not in raw:  # only RFC 2231 parameters trip decode_params
        return
    try:
        part.get_params(header=name)
        return
    except Exception:
        pass
    kept = [piece for piece in raw.split(";")[1:] if "*" not in piece.split("=", 1)[0]]
    value = ";".join([raw.split(";", 1)[0].strip() or "text/plain", *kept])
    try:
        part.replace_header(name, value)
    except Exception:
        del part[name]
    part.defects.append(UnreadableParametersDefect())


def _raw_value(part: Message, name: str) -> str | None:
    try:
        for key, value in part.raw_items():
            if str(key).lower() == name:
                return str(value)
    except Exception:
        return None
    return None
