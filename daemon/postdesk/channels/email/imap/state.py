"""What the IMAP intake remembers per source, and the one transaction that stores a batch.

A mail whose exact bytes this source stored before is not stored again (a
restored or re-created mailbox); below `rescan_through` (UIDs that existed
when a UIDVALIDITY change was noticed) the same Message-ID also counts.

A batch of fetched mails and the new "last committed UID" are written in the
same transaction, so after a crash either both are there or neither is: a mail
is never stored twice and never skipped. The state row is advanced with a
compare-and-set (UIDVALIDITY and the previous last UID must still match), so
two daemons pulling the same mailbox cannot both store a mail; the loser rolls
back and resumes from what the winner wrote.

These functions are synchronous (the store's statements are in
`postdesk.store.imap_sources`); the intake runs them in a thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

from postdesk.errors import TemporaryFailure
from postdesk.store import imap_sources
from postdesk.store.db import DatabaseError, database, durable_atomic
from postdesk.store.imap_sources import SourceState
from postdesk.store.inbound import Arrival, store_inbound

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


class StateConflict(TemporaryFailure):
    """Another process advanced this source's state first; resume from the stored state."""


@dataclass(frozen=True)
class FetchedMail:
    """One mail as the IMAP server returned it."""

    uid: int
    raw: bytes


@dataclass(frozen=True)
class BatchResult:
    stored: tuple[int, ...]  # new inbound ids
    duplicates: tuple[int, ...]  # UIDs of mail this source had stored already


def load_state(name: str) -> SourceState:
    """The stored state of source `name`, creating an empty one on first use."""
    with database.connection_context():
        return imap_sources.load_or_create(name)


def peek_state(name: str) -> SourceState | None:
    """The stored state of source `name`, or None before its first run."""
    return imap_sources.peek(name)


def reset_state(name: str, before: SourceState, uidvalidity: int, rescan_through: int
                ) -> SourceState:
    """Adopt a new UIDVALIDITY: start again at UID 0, deduplicating UIDs <= rescan_through."""
    after = SourceState(uidvalidity, 0, rescan_through)
    with database.connection_context():
        _advance(name, before, after)
    return after


def commit_batch(name: str, before: SourceState, mails: Sequence[FetchedMail], address: str,
                 peer: str, on_stored: Callable[[int], None]) -> tuple[SourceState, BatchResult]:
    """Store `mails` as inbound rows and advance last_uid, in one transaction.

    `on_stored` (the dispatcher) is called for each new inbound id after the
    commit; if it fails the sweeper dispatches the row later.
    """
    source = f"imap:{name}"
    stored: list[int] = []
    duplicates: list[int] = []
    after = SourceState(before.uidvalidity, max(m.uid for m in mails), before.rescan_through)
    with database.connection_context():
        try:
            with durable_atomic():  # the flag that follows is a promise
                # writing first takes SQLite's write lock now; a read first would make a
                # later write fail at once ("locked") if another connection wrote meanwhile
                _advance(name, before, after)
                for mail in mails:
                    if _seen_before(source, mail.raw,
                                    by_message_id=mail.uid <= before.rescan_through):
                        duplicates.append(mail.uid)
                        continue
                    arrival = Arrival(raw=mail.raw, mail_from=_return_path(mail.raw),
                                      rcpt_to=(address,), source=source,
                                      peer=f"{peer} uid {before.uidvalidity}/{mail.uid}")
                    stored.append(store_inbound(arrival))
        except DatabaseError as exc:
            raise TemporaryFailure(f"database unavailable: {exc}") from exc
    for inbound_id in stored:
        with contextlib.suppress(Exception):  # the sweeper re-dispatches undelivered rows
            on_stored(inbound_id)
    return after, BatchResult(tuple(stored), tuple(duplicates))


def _advance(name: str, before: SourceState, after: SourceState) -> None:
    if not imap_sources.advance(name, before, after):
        raise StateConflict(f"imap:{name}: the stored state changed under us (another node "
                            "pulling the same mailbox?); resuming from the stored state")


def _seen_before(source: str, raw: bytes, *, by_message_id: bool) -> bool:
    """True when this source already stored the same bytes (or the same Message-ID)."""
    if imap_sources.stored_content(source, hashlib.sha256(raw).hexdigest()):
        return True
    message_id = _message_id(raw) if by_message_id else None
    return message_id is not None and imap_sources.stored_message_id(source, message_id)


def _headers(raw: bytes) -> dict[str, str]:
    parsed = BytesHeaderParser(policy=compat32).parsebytes(raw)
    return {key.lower(): str(value) for key, value in parsed.items()}


def _message_id(raw: bytes) -> str | None:
    found = _MESSAGE_ID.search(_headers(raw).get("message-id", ""))
    return found.group(1) if found else None


def _return_path(raw: bytes) -> str | None:
    """The envelope sender the delivering server recorded, if it did ('' for <>)."""
    value = _headers(raw).get("return-path")
    if value is None:
        return None
    value = value.strip()
    found = re.fullmatch(r"<\s*([^<>]*)\s*>", value)
    return (found.group(1) if found else value).strip()
