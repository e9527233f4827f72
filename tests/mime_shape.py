"""Everything a MIME parse decided, as plain data: for tests that compare two parses."""

from __future__ import annotations

from email.message import Message


def parse_shape(msg: Message) -> list[object]:
    """Each part's headers, text, preamble, epilogue and defects (by kind), in order."""
    out: list[object] = []
    for part in msg.walk():
        payload = part._payload  # type: ignore[attr-defined]
        out.append((list(part.raw_items()), payload if isinstance(payload, str) else None,
                    part.preamble, part.epilogue, [type(d).__name__ for d in part.defects]))
    return out
