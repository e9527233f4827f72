"""One charset guess per mail for 8-bit text that declares none (headers and text parts)."""

from __future__ import annotations

from email.message import Message

from postdesk.mail.charsets import codec_candidates, guess_codec
from postdesk.mail.header_text import header_text
from postdesk.mail.mime_part import part_charset, part_content_type, payload_bytes, raw_items


class UndeclaredCharset:
    """One guess per message for 8-bit text that declares no (usable) charset.

    The headers and undeclared text parts of one mail nearly always share a
    charset, and a guess over all of them beats a guess over each short piece.
    """

    def __init__(self, msg: Message) -> None:
        self._msg = msg
        self._codec: str | None = None
        self._known = False

    def __call__(self) -> str | None:
        if not self._known:
            self._codec = self._guess()
            self._known = True
        return self._codec

    def for_headers(self) -> str | None:
        """The body's declared charset when it fits the broken headers, else the guess."""
        sample = b" ".join(self._broken_headers())
        declared, _ = body_charset_evidence(self._msg)
        for codec in codec_candidates(declared):
            if codec not in ("utf-8", "ascii") and decodes(sample, codec):
                return codec
        return self()

    def _broken_headers(self) -> list[bytes]:
        values = [header_text(value) for _, value in raw_items(self._msg)]
        return [raw for raw in _eight_bit_values(values) if not is_utf8(raw)]

    def _guess(self) -> str | None:
        _, body = body_charset_evidence(self._msg)
        pieces = self._broken_headers()
        if body and not body.isascii() and not is_utf8(body):
            pieces.append(body)
        return guess_codec(b"\n".join(pieces)) if pieces else None


def _eight_bit_values(values: list[str]) -> list[bytes]:
    return [v.encode("utf-8", errors="surrogateescape") for v in values if not v.isascii()]


def is_utf8(data: bytes) -> bool:
    return decodes(data, "utf-8")


def decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except (LookupError, ValueError):  # UnicodeDecodeError, or a codec name that is no name
        return False
    return True


def body_charset_evidence(msg: Message) -> tuple[str | None, bytes]:
    """The first text part's declared charset, or its bytes when it declares none."""
    stack: list[Message] = [msg]
    for _ in range(50):
        if not stack:
            break
        part = stack.pop(0)
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(p for p in payload if isinstance(p, Message))
            continue
        if part_content_type(part).startswith("text/"):
            charset = part_charset(part)
            if charset is not None:
                return charset, b""
            return None, payload_bytes(part)[:8192]
    return None, b""
