"""The desk's live files in the database: what is in force, why, and the last good text.

`live_file` has one row per live file (`rules/automation.yaml`, `rules/sla.yaml`
...): which version the desk runs on (`file`, `last_good`, `shipped`, `empty`),
why the file on disk is not in force (`rules/sla.yaml:12: ...`) and since when,
and when its last good version was validated. `live_file_text` holds that last
good version, one row per file it was read from. The process that polls the
files (`postdesk serve`, `postdesk worker`) writes both when something changes;
a process that starts while a file is broken reads the text back, so that
worker processes, workers on other machines and every restart run the same last
good rules; `postdesk status` and `postdesk check` read the rows. The tables
come from migration 12.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from postdesk.store.db import database
from postdesk.store.models import LiveFileRow, LiveFileText

#: One file of a version: (how the desk names it, its text).
FileText = tuple[str, str]


@dataclass(frozen=True)
class LiveFileRecord:
    """A row of `live_file`, for `postdesk status` and `postdesk check`."""

    name: str
    in_force: str
    summary: str
    error: str | None
    broken_since: datetime | None
    validated_at: datetime | None
    recorded_at: datetime


def texts_sha256(files: Sequence[FileText]) -> str:
    """The checksum of a version's texts, names included."""
    digest = hashlib.sha256()
    for display, text in files:
        for part in (display, text):
            data = part.encode("utf-8")
            digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


@contextmanager
def _connection() -> Iterator[None]:
    """Use this thread's open connection, or open one for the call (closing only that)."""
    if not database.is_closed():
        yield
        return
    with database.connection_context():
        yield


def record(name: str, *, in_force: str, summary: str, error: str | None,
           broken_since: datetime | None, good: Sequence[FileText] | None,
           validated_at: datetime | None, now: datetime) -> None:
    """Record what is in force; `good`: a version that has just validated, kept as the last
    good one unless it is that already. A file broken since earlier keeps that moment."""
    with _connection(), database.atomic():
        row = LiveFileRow.get_or_none(LiveFileRow.name == name)
        good_sha = row.good_sha256 if row else None
        good_at = row.validated_at if row else None
        if good is not None and texts_sha256(good) != good_sha:
            good_sha, good_at = _keep(name, good), validated_at or now
        if error is None:
            broken_since = None
        elif row is not None and row.error is not None and row.broken_since is not None:
            broken_since = row.broken_since
        values = {"in_force": in_force, "summary": summary, "error": error,
                  "broken_since": broken_since, "good_sha256": good_sha,
                  "validated_at": good_at, "recorded_at": now}
        (LiveFileRow.insert(name=name, **values)
         .on_conflict(conflict_target=[LiveFileRow.name],
                      update={getattr(LiveFileRow, key): value for key, value in values.items()})
         .execute())


def _keep(name: str, files: Sequence[FileText]) -> str:
    LiveFileText.delete().where(LiveFileText.name == name).execute()
    if files:
        LiveFileText.insert_many([
            {"name": name, "position": position, "file": display, "text": text,
             "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
            for position, (display, text) in enumerate(files)]).execute()
    return texts_sha256(files)


def last_good(name: str) -> tuple[tuple[FileText, ...], datetime] | None:
    """The last good version of a live file and when it was validated; None if it has none
    (or its text no longer matches its checksum)."""
    with _connection():
        row = LiveFileRow.get_or_none(LiveFileRow.name == name)
        if row is None or row.good_sha256 is None:
            return None
        files = tuple((str(t.file), str(t.text)) for t in
                      LiveFileText.select().where(LiveFileText.name == name)
                      .order_by(LiveFileText.position))
    if texts_sha256(files) != row.good_sha256:
        return None
    return files, row.validated_at


def records() -> list[LiveFileRecord]:
    """Every live file as last recorded, by name."""
    with _connection():
        return [LiveFileRecord(row.name, row.in_force, row.summary, row.error, row.broken_since,
                               row.validated_at, row.recorded_at)
                for row in LiveFileRow.select().order_by(LiveFileRow.name)]
