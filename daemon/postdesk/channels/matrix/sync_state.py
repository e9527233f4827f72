"""Where the Matrix edge has read up to: the `next_batch` token of its last handled sync.

Saved only after every event of a sync batch was handed to the intake (which commits it),
and atomically (a temporary file, fsync, rename), so a crash at any moment leaves either
the old token (the batch is handed in again; the intake deduplicates by event id) or the
new one, never a torn file. `listening_since_ms` is when the desk first connected: the
first sync shows some history, and only what was said from then on becomes tickets.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SyncState:
    next_batch: str | None
    listening_since_ms: int


class SyncStateError(Exception):
    """The state file exists but cannot be read: say which file, do not start from scratch."""


def load_sync_state(path: Path, now_ms: int) -> SyncState:
    """The saved state, or a fresh one that starts listening at `now_ms` (and is saved)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        state = SyncState(next_batch=None, listening_since_ms=now_ms)
        save_sync_state(path, state)
        return state
    except (OSError, ValueError) as exc:
        raise SyncStateError(
            f"{path}: unreadable Matrix sync state ({exc}); delete it to start listening "
            "afresh (messages sent meanwhile are skipped)") from exc
    token = data.get("next_batch") if isinstance(data, dict) else None
    since = data.get("listening_since_ms") if isinstance(data, dict) else None
    if not isinstance(since, int) or (token is not None and not isinstance(token, str)):
        raise SyncStateError(f"{path}: expected {{'next_batch': str, 'listening_since_ms': int}}")
    return SyncState(next_batch=token, listening_since_ms=since)


def save_sync_state(path: Path, state: SyncState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    payload = json.dumps({"next_batch": state.next_batch,
                          "listening_since_ms": state.listening_since_ms})
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
