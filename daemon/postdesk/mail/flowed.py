"""Plain text sent as ``format=flowed`` (RFC 3676) made into its logical lines.

A flowed line ends with a space: the writer's client broke it only to keep
lines short, and the reader's joins it with the next line of the same quote
depth. With ``DelSp=yes`` that space was added for the break and goes too
(languages without spaces between words). A leading space is stuffing,
``"-- "`` is the signature line and never flows. Quoted lines come out as
``"> "`` per level so the reply extraction sees the quotes as before.
"""

from __future__ import annotations

_SIGNATURE = "-- "


def _depth(line: str) -> tuple[int, str]:
    """The quote depth of a line and its text without the quote marks and stuffing."""
    depth = len(line) - len(line.lstrip(">"))
    text = line[depth:]
    return depth, text[1:] if text.startswith(" ") else text


def unflow(text: str, *, delsp: bool = False) -> str:
    """`text` (lines split on ``\\n``) with its soft breaks joined."""
    out: list[str] = []
    pending: tuple[int, str] | None = None  # a flowed line waiting for its continuation
    for line in text.split("\n"):
        depth, body = _depth(line)
        if pending is not None:
            # an empty line ends the paragraph and stays (a client that flowed into it
            # still meant the blank line between paragraphs)
            if pending[0] == depth and body and body != _SIGNATURE:
                body = pending[1] + body
            else:  # a quote depth change ends the paragraph (RFC 3676 4.5)
                out.append(_emit(*pending))
        pending = None
        if body.endswith(" ") and body != _SIGNATURE:
            pending = (depth, body[:-1] if delsp else body)
            continue
        out.append(_emit(depth, body))
    if pending is not None:
        out.append(_emit(*pending))
    return "\n".join(out)


def _emit(depth: int, body: str) -> str:
    return f"{'>' * depth} {body}" if depth else body
