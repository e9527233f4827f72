"""Line-list helpers shared by reply extraction and signature splitting."""

from __future__ import annotations

from postdesk.mail import reply_patterns as rp


def has_text(lines: list[str]) -> bool:
    """True when any line has non-blank content."""
    return any(line.strip() for line in lines)


def strip_blank_tail(lines: list[str]) -> list[str]:
    """``lines`` without trailing blank lines."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]



def strip_separators(lines: list[str]) -> list[str]:
    """Drop trailing blank and rule lines left above a cut ("_____", "-----")."""
    end = len(lines)
    while end and (
        not lines[end - 1].strip() or rp.SEPARATOR_LINE.match(lines[end - 1][: rp.MAX_PATTERN_LINE])
    ):
        end -= 1
    return lines[:end]


def trim(lines: list[str], *, keep_delimiter: bool = False) -> str:
    """Join ``lines``, dropping leading/trailing blank lines and trailing spaces.

    With ``keep_delimiter`` the RFC 3676 "-- " line keeps its significant space.
    """
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    return "\n".join(
        line if keep_delimiter and line == "-- " else line.rstrip()
        for line in strip_blank_tail(lines[start:])
    )
