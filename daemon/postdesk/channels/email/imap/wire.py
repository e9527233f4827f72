"""What IMAP responses mean to the intake: pure functions over aioimaplib's response lines.

No I/O here: the session in `postdesk.channels.email.imap.client` sends the commands
and hands the lines to these functions. Folder names are decoded from (and
encoded to) modified UTF-7, so everything above this layer sees the names as
people write them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from postdesk.channels.email.imap.utf7 import FolderNameError, decode_folder, encode_folder
from postdesk.errors import PostdeskError

_FETCH_START = re.compile(rb"^\d+ FETCH \(")
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_UIDNEXT = re.compile(rb"\[UIDNEXT (\d+)\]")
EXISTS = re.compile(rb"^(\d+) EXISTS")
_LIST_NAME = re.compile(rb'\) "(?:[^"\\]|\\.)*" (.+)$|\) NIL (.+)$')


class ImapError(PostdeskError):
    """The IMAP session cannot go on; the message says why and what to check."""


class ImapAuthError(ImapError):
    """The server refused the user name or password."""


class ImapTlsError(ImapError):
    """TLS could not be set up as configured (never silently downgraded)."""


class ImapFolderError(ImapError):
    """The folder to read (or to move mail into) does not exist or cannot be selected."""


class ConnectionLost(ImapError):
    """The server said BYE, closed the connection or stopped answering."""


@dataclass(frozen=True)
class Selected:
    uidvalidity: int
    uidnext: int
    exists: int


def quote(name: str) -> str:
    """A folder name as an IMAP quoted string, in modified UTF-7."""
    wire = encode_folder(name)
    return '"' + wire.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_select(lines: Sequence[Any], folder: str, peer: str) -> Selected:
    """UIDVALIDITY, UIDNEXT and EXISTS from the lines of a SELECT response."""
    values: dict[str, int] = {}
    for line in lines:
        if not isinstance(line, bytes):
            continue
        for key, pattern in (("uidvalidity", _UIDVALIDITY), ("uidnext", _UIDNEXT),
                             ("exists", EXISTS)):
            found = pattern.search(line)
            if found:
                values[key] = int(found.group(1))
    if "uidvalidity" not in values:
        raise ImapError(f"{peer} did not report UIDVALIDITY for {folder!r}")
    return Selected(values["uidvalidity"], values.get("uidnext", 0), values.get("exists", 0))


def parse_list(lines: Sequence[Any]) -> list[str]:
    """Folder names (decoded) from the lines of a LIST response."""
    names = []
    for line in lines:
        found = _LIST_NAME.search(line) if isinstance(line, bytes) else None
        if not found:
            continue
        wire = (found.group(1) or found.group(2)).decode("utf-8", "replace").strip()
        if len(wire) >= 2 and wire[0] == wire[-1] == '"':
            wire = re.sub(r'\\(.)', r"\1", wire[1:-1])
        try:
            names.append(decode_folder(wire))
        except FolderNameError:
            names.append(wire)  # a server's odd name must not hide the others
    return names


def parse_sizes(lines: Sequence[Any], last_uid: int) -> list[tuple[int, int]]:
    """(UID, size) pairs above last_uid from a UID FETCH (UID RFC822.SIZE), in UID order."""
    found = []
    for line in lines:
        if isinstance(line, bytes) and _FETCH_START.match(line):
            uid, size = _UID.search(line), _SIZE.search(line)
            if uid and int(uid.group(1)) > last_uid:  # "n:*" also matches the last one
                found.append((int(uid.group(1)), int(size.group(1)) if size else 0))
    return sorted(found)


def parse_fetch(lines: Sequence[Any]) -> dict[int, bytes]:
    """UID -> raw bytes from the lines of a FETCH (UID BODY.PEEK[]) response.

    aioimaplib hands the literal as a bytearray between the line that
    announced it and the line that closes the item; the UID may be on either.
    """
    found: dict[int, bytes] = {}
    meta = b""
    body: bytes | None = None

    def flush() -> None:
        uid = _UID.search(meta)
        if uid and body is not None:
            found[int(uid.group(1))] = body

    for line in lines:
        if isinstance(line, bytearray):
            body = bytes(line)
        elif isinstance(line, bytes) and _FETCH_START.match(line):
            flush()
            meta, body = line, None
        elif isinstance(line, bytes):
            meta += b" " + line
    flush()
    return found


def uid_set(uids: Sequence[int]) -> str:
    """A compact UID set: 1:5,9,12:14."""
    ranges: list[str] = []
    ordered = sorted(set(uids))
    start = previous = ordered[0]
    for uid in [*ordered[1:], None]:
        if uid is not None and uid == previous + 1:
            previous = uid
            continue
        ranges.append(str(start) if start == previous else f"{start}:{previous}")
        if uid is not None:
            start = previous = uid
    return ",".join(ranges)


def check_bye(lines: Any, peer: str) -> None:
    for line in lines or ():
        if isinstance(line, bytes) and line.startswith(b"BYE"):
            raise ConnectionLost(f"{peer} said {line.decode('utf-8', 'replace')}")


def check_ok(response: Any, peer: str, what: str) -> None:
    if response.result != "OK":
        raise ImapError(f"{peer}: {what} failed: {response_text(response)}")


def response_text(response: Any) -> str:
    lines = [line for line in response.lines if isinstance(line, bytes)]
    return lines[-1].decode("utf-8", "replace") if lines else response.result
