"""A large mail parsed and decoded without a string for each line of its attachments.

The standard library's MIME parser (`email.feedparser`) splits the whole mail
into lines and keeps each line of a part as a string until the part ends; its
base64 decoding (`Message.get_payload(decode=True)`) splits the part into
lines once more. A 25 MB attachment is some 330,000 lines: twice 35 MiB of
small objects at once, in the arenas of Python's small-object allocator,
which any object that outlives them (a cache entry, a log record of another
thread) keeps from going back to the system. In the embedded desk, where the
worker threads share the daemon's process, that was memory held after large
mail (issue 25, point 8); it was also most of the CPU of such a mail's parse.

* `set_aside` takes each long run of base64 lines (`RUN` octets and more, in a
  mail of `LARGE` octets and more) out of the text before the parser sees it,
  leaving one line of base64 letters in its place, a line the parser treats as
  it treats each line of the run (no header, no boundary, no blank line);
  `AsideRuns.put_back` puts the runs back into the parts' text. The parse is
  the standard library's, on a text of a few lines; if a placeholder is not
  found exactly once in the parts' text, the caller parses the whole text.
* `quick_base64` decodes a base64 body in one pass when it is well formed
  (line ends aside, only base64 letters, whole quads): exactly what the
  standard library gives then; anything else is left to the standard library
  (its padding repair and defects).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from email.message import Message

#: Mails of this many octets and more have their long base64 runs set aside.
LARGE = 1024 * 1024
#: The shortest run set aside (shorter runs cost the parser little).
RUN = 64 * 1024

#: Lines of 60 to 998 base64 letters, each ended by CRLF or LF (mail piped in by an MTA),
#: from a line start (possessive: linear even on a long line of letters that never ends).
_RUN_LINES = re.compile(r"^(?:[A-Za-z0-9+/=]{60,998}+\r?\n)++", re.MULTILINE)


@dataclass
class AsideRuns:
    """The runs taken out of a text (the n-th run for placeholder n), and the text left."""

    text: str
    runs: list[str]
    token: str

    def placeholder(self, number: int) -> str:
        return f"PostdeskSetAside{self.token}N{number}"

    def put_back(self, msg: Message) -> bool:
        """Put each run back where its placeholder is in the text of `msg`'s parts; False
        (`msg` half mended, to be dropped) unless each is found exactly once."""
        pattern = re.compile(rf"PostdeskSetAside{self.token}N(\d+)")
        found: list[int] = []

        def run(match: re.Match[str]) -> str:
            number = int(match.group(1))
            found.append(number)
            return self.runs[number] if number < len(self.runs) else ""

        for part in msg.walk():
            payload = part._payload  # type: ignore[attr-defined]  # the text as parsed
            if isinstance(payload, str) and self.token in payload:
                part._payload = pattern.sub(run, payload)  # type: ignore[attr-defined]
        return sorted(found) == list(range(len(self.runs)))


def set_aside(text: str) -> AsideRuns | None:
    """`text` with each run of base64 lines of `RUN` characters and more replaced by one
    line (the run's last line end stays, as the parser strips it before a boundary); None
    when `text` is shorter than `LARGE` or has no such run."""
    if len(text) < LARGE:
        return None
    token = secrets.token_hex(8)
    aside = AsideRuns("", [], token)
    pieces: list[str] = []
    start = 0
    for match in _RUN_LINES.finditer(text):
        if match.end() - match.start() < RUN:
            continue
        end = match.end() - (2 if text[match.end() - 2] == "\r" else 1)  # before its line end
        pieces.append(text[start:match.start()])
        pieces.append(aside.placeholder(len(aside.runs)))
        aside.runs.append(text[match.start():end])
        start = end
    if not aside.runs:
        return None
    pieces.append(text[start:])
    aside.text = "".join(pieces)
    return aside


def quick_base64(part: Message) -> bytes | None:
    """The decoded body of a well-formed base64 part, as `part.get_payload(decode=True)`
    gives it, in one pass; None for any other part (the caller asks the standard library)."""
    payload = getattr(part, "_payload", None)
    if not isinstance(payload, str) or not payload.isascii():
        return None
    if str(part.get("content-transfer-encoding", "")).lower() != "base64":
        return None
    joined = payload.encode("ascii").translate(None, b"\r\n")  # what splitlines() drops
    if len(joined) % 4:
        return None  # the standard library pads it and notes a defect
    try:
        return base64.b64decode(joined, validate=True)
    except binascii.Error:
        return None  # letters outside the alphabet: the standard library's defects
