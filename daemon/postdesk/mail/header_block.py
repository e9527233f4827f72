"""The header block of raw mail, mended so that one broken line does not end it.

The standard library's parser ends the header block at the first line that is
neither a field (``Name: value``), a continuation (leading blank) nor an mbox
``From `` line; everything after it becomes body, so From, Subject and
Message-ID below such a line are lost. Real mail has such lines: a forwarding
script's ``---- Original email message ----`` above the headers, a line like
``quite Delivered-To: ...`` in the middle, ``Message-ID  : <...>`` with blanks
before the colon (RFC 5322 obs-optional). MTAs skip such lines and keep
reading headers; so does this module, but only where real header lines follow
(a mail with no blank line after its headers keeps its body). The raw bytes
are stored unchanged; only the parsed view skips the lines.
"""

from __future__ import annotations

import re

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_SPACED_FIELD_NAME = re.compile(rb"(?m)^([!-9;-~]+)[ \t]+:")
#: A line the standard library takes as part of the header block (feedparser's headerRE).
_HEADER_LINE = re.compile(rb"From |[!-9;-~]+:|[ \t]")
#: A field line (not a continuation), for "real header lines follow".
_FIELD_LINE = re.compile(rb"[!-9;-~]+:")
#: A head of header lines only (one C-speed match spares the line-by-line walk for the
#: mails, nearly all, that have no stray line).
_ALL_HEADER_LINES = re.compile(rb"(?:(?:From |[!-9;-~]+:|[ \t])[^\n]*(?:\n|\Z))*")
#: Stray lines skipped in a row, at most: more is a body without a blank line before it.
_MOST_STRAY_IN_A_ROW = 3


def mend_header_block(data: bytes) -> tuple[bytes, int]:
    """``data`` with its header block mended, and how many stray lines were skipped."""
    end = _HEADER_END.search(data)
    head = data[: end.start()] if end else data
    spaced = _SPACED_FIELD_NAME.search(head) is not None
    if spaced:
        # The stdlib takes "Message-ID  : <...>" for the start of the body.
        head = _SPACED_FIELD_NAME.sub(rb"\1:", head)
    if _ALL_HEADER_LINES.fullmatch(head):
        return (head + (data[end.start():] if end else b"") if spaced else data), 0
    rest = data[end.start():] if end else b""
    lines = head.splitlines(keepends=True)
    stray = _stray_lines(lines)
    if not stray:
        return (head + rest if spaced else data), 0
    kept = b"".join(line for index, line in enumerate(lines) if index not in stray)
    return kept + rest, len(stray)


def _stray_lines(lines: list[bytes]) -> set[int]:
    """Indexes of lines the stdlib would end the header block at, followed by a field."""
    stray: set[int] = set()
    run: list[int] = []
    for index, line in enumerate(lines):
        if _HEADER_LINE.match(line):
            if not _FIELD_LINE.match(line):
                continue  # a continuation: after stray lines, it folds into the field before
            stray.update(run)
            run = []
            continue
        if not line.strip():
            break
        run.append(index)
        if len(run) > _MOST_STRAY_IN_A_ROW:
            break  # a body that follows the headers without a blank line
    return stray
