"""What the store keeps per IMAP source: where its intake stands, and what it stored before.

One `imap_state` row per `[[imap]]` source holds its UIDVALIDITY, the last UID
committed as inbound mail, and `rescan_through` (see
`postdesk.channels.email.imap.state` for how the intake uses them). The row is
created on first use, by whichever node gets there first, and only ever
advanced with a compare-and-set: UIDVALIDITY and the last UID must still be
what the caller read, so two nodes pulling one mailbox cannot both move it.
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.store.db import IntegrityError, database, utcnow
from postdesk.store.models import ImapState, Inbound, Message


@dataclass(frozen=True)
class SourceState:
    uidvalidity: int | None
    last_uid: int
    rescan_through: int


def _state(row: ImapState) -> SourceState:
    return SourceState(row.uidvalidity, int(row.last_uid), int(row.rescan_through))


def load_or_create(name: str) -> SourceState:
    """The stored state of source `name`; an empty one is stored on first use (own
    transaction; a concurrent creation by another node is harmless)."""
    with database.atomic():
        row = ImapState.get_or_none(ImapState.source == name)
        if row is None:
            try:
                with database.atomic():
                    ImapState.insert(source=name, uidvalidity=None, last_uid=0,
                                     rescan_through=0, updated_at=utcnow()).execute()
            except IntegrityError:  # another node created it first
                pass
            row = ImapState.get(ImapState.source == name)
        return _state(row)


def peek(name: str) -> SourceState | None:
    """The stored state of source `name`, or None before its first run."""
    row = ImapState.get_or_none(ImapState.source == name)
    return _state(row) if row is not None else None


def advance(name: str, before: SourceState, after: SourceState) -> bool:
    """Move the source from `before` to `after` if it still stands at `before` (in the
    caller's transaction); False when another process moved it first."""
    uidvalidity_matches = (ImapState.uidvalidity.is_null() if before.uidvalidity is None
                           else ImapState.uidvalidity == before.uidvalidity)
    changed = (ImapState
               .update(uidvalidity=after.uidvalidity, last_uid=after.last_uid,
                       rescan_through=after.rescan_through, updated_at=utcnow())
               .where((ImapState.source == name) & uidvalidity_matches
                      & (ImapState.last_uid == before.last_uid))
               .execute())
    return bool(changed == 1)


def stored_content(source: str, sha256: str) -> bool:
    """Whether inbound mail of `source` with these exact bytes (by content hash) exists."""
    return bool(Inbound.select()
                .where((Inbound.source == source) & (Inbound.sha256 == sha256)).exists())


def stored_message_id(source: str, message_id: str) -> bool:
    """Whether a message with this Message-ID came in through `source`."""
    return bool(Message.select().join(Inbound)
                .where((Message.message_id == message_id[:998]) & (Inbound.source == source))
                .exists())
