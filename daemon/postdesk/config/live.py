"""Files reloaded live: the one mechanism every file the desk reads while it runs goes through.

A `LiveFile` is one rules file as an admin edits it (rules/teams.yaml), or a few
read as one (rules/automation.yaml with rules/automation.d/*.yaml). Its
`LiveSpec` names the files and validates them (a parse that raises RuleError
`rules/teams.yaml:3: ...`).

* `current()` is the hot path: at most every `interval` seconds it compares the
  files' modification time, size and inode with those it last read, one stat
  per file; only a change reads and validates them again, never a parse per call.
* A version that validates replaces the one in force. A broken one is refused as
  a whole: its error is kept with the moment it was first seen, and the version
  in force stays.
* A process that starts while a file is broken has nothing in force yet. It
  takes the desk's last good version (`snapshots`: the validated text kept in
  the database by the process that polls, `postdesk.config.live_files`), so
  every worker process, every machine and every restart runs the same rules; a
  desk that never had a good version takes the one Postdesk ships, and says so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Generic, TypeVar

from postdesk.config.rulesfile import read_rules_text
from postdesk.errors import ConfigError

log = logging.getLogger(__name__)

T = TypeVar("T")


class InForce(StrEnum):
    """Which version of a live file the desk runs on."""

    FILE = "file"  # the file on disk
    LAST_GOOD = "last_good"  # the file is broken: the last version that validated
    SHIPPED = "shipped"  # broken, and never good on this desk: the version Postdesk ships
    EMPTY = "empty"  # not even that loads: nothing (no rules, no queues...)


@dataclass(frozen=True)
class SourceFile:
    """One file's text, and how errors and the snapshot name it (`rules/teams.yaml`)."""

    display: str
    text: str


@dataclass(frozen=True)
class Version:
    """The texts a live file was read from, in the order they are read."""

    files: tuple[SourceFile, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """The desk's last good version of a live file, and when it was validated."""

    version: Version
    validated_at: datetime


@dataclass(frozen=True)
class LiveSpec(Generic[T]):
    """What a live file is: its files in a rules folder, how they validate, what it holds."""

    name: str  # as admins name it, and the key of its snapshot: "rules/automation.yaml"
    files: Callable[[Path], list[Path]]  # the files it reads in a folder, in order (absent
    # ones may be listed: their appearing is a change too)
    parse: Callable[[Version], T]  # validate; ConfigError `file:line: ...` when broken
    empty: T  # in force when nothing loads at all
    describe: Callable[[T], str]  # what is in force, for people: "4 automations"


@dataclass(frozen=True)
class LiveState:
    """What one process has in force for a live file, and why."""

    name: str
    in_force: InForce
    summary: str  # the spec's description of the value in force
    version: Version  # the texts in force (none when EMPTY)
    validated_at: datetime | None  # when the version in force was validated
    error: str | None = None  # why the files on disk are not in force
    broken_since: datetime | None = None  # when this process first saw them broken


def utcnow() -> datetime:
    return datetime.now(UTC)


def no_snapshots(name: str) -> Snapshot | None:
    return None


Stamp = tuple[tuple[str, int, int, int] | tuple[str], ...]


def stamp_of(paths: Sequence[Path]) -> Stamp:
    """The files' identity as the file system reports it, without reading them."""
    found: list[tuple[str, int, int, int] | tuple[str]] = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            found.append((str(path),))
            continue
        found.append((str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino))
    return tuple(found)


def read_version(paths: Sequence[Path], folder: Path, label: str) -> Version:
    """The texts of `paths` (inside `folder`) that exist, each named `label/<path in folder>`."""
    files = []
    for path in paths:
        display = f"{label}/{path.relative_to(folder).as_posix()}"
        try:
            files.append(SourceFile(display, read_rules_text(path, display)))
        except ConfigError as exc:
            if isinstance(exc.__cause__, FileNotFoundError):
                continue  # absent: a live file without it is valid (and maybe empty)
            raise
    return Version(tuple(files))


class LiveFile(Generic[T]):
    """One live file of one process (see the module docstring); safe to share between threads.

    `generation` grows each time what is in force or its error changes, so that the
    poller can report a change that a worker thread happened to notice first."""

    def __init__(self, spec: LiveSpec[T], folder: Path, *, shipped_folder: Path | None,
                 interval: float, snapshots: Callable[[str], Snapshot | None] = no_snapshots,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], datetime] = utcnow) -> None:
        self.spec = spec
        self.folder = folder
        self.shipped_folder = shipped_folder
        self.interval = interval
        self.snapshots = snapshots
        self.clock = clock
        self.wall_clock = wall_clock
        self.generation = 0
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._stamp: Stamp | None = None
        self._value: T = spec.empty
        self._state: LiveState | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def current(self) -> T:
        """The value in force, after a look at the files when one is due (a stat each)."""
        if self.clock() - self._checked_at >= self.interval:
            self.refresh()
        return self._value

    def request_reload(self) -> None:
        """Look at the files at the next use, however recently they were looked at."""
        self._checked_at = float("-inf")

    @property
    def state(self) -> LiveState:
        """What is in force and why (the files are read on first use)."""
        state = self._state
        if state is None:
            self.refresh()
            state = self._state
            assert state is not None
        return state

    @property
    def last_error(self) -> str | None:
        """Why the files on disk are not in force (None when they are)."""
        return self.state.error

    def refresh(self) -> bool:
        """Look at the files now; True when what is in force or its error changed."""
        with self._lock:
            self._checked_at = self.clock()
            paths = self.spec.files(self.folder)
            stamp = stamp_of(paths)
            if stamp == self._stamp:
                return False
            self._stamp = stamp
            try:
                version = read_version(paths, self.folder, self.folder.name)
                if self._is_in_force(version):
                    return False  # touched, or saved again unchanged
                value = self.spec.parse(version)
            except ConfigError as exc:
                return self._refuse(str(exc))
            self._put(value, LiveState(self.name, InForce.FILE, self.spec.describe(value),
                                       version, self.wall_clock()))
            return True

    def _is_in_force(self, version: Version) -> bool:
        state = self._state
        return (state is not None and state.in_force is InForce.FILE
                and state.version == version)

    def _refuse(self, error: str) -> bool:
        """The files on disk are broken: keep what is in force, or find the best fallback."""
        state = self._state
        if state is None:
            value, state = self._fallback()
            self._put(value, replace(state, error=error, broken_since=self.wall_clock()))
            return True
        in_force = InForce.LAST_GOOD if state.in_force is InForce.FILE else state.in_force
        if state.error == error and state.in_force is in_force:
            return False
        self._put(self._value, replace(state, in_force=in_force, error=error,
                                       broken_since=state.broken_since or self.wall_clock()))
        return True

    def _fallback(self) -> tuple[T, LiveState]:
        """What a process that starts with broken files runs on: the last good version,
        else the shipped one, else nothing."""
        snapshot = self._snapshot()
        if snapshot is not None:
            try:
                value = self.spec.parse(snapshot.version)
            except ConfigError as exc:
                log.warning("%s: the last good version does not load any more: %s",
                            self.name, exc)
            else:
                return value, LiveState(self.name, InForce.LAST_GOOD, self.spec.describe(value),
                                        snapshot.version, snapshot.validated_at)
        try:
            version = self._shipped_version()
            value = self.spec.parse(version)
        except ConfigError as exc:
            log.warning("%s: the shipped version does not load on this desk: %s", self.name, exc)
        else:
            return value, LiveState(self.name, InForce.SHIPPED, self.spec.describe(value),
                                    version, None)
        empty = self.spec.empty
        return empty, LiveState(self.name, InForce.EMPTY, self.spec.describe(empty), Version(),
                                None)

    def _shipped_version(self) -> Version:
        """What Postdesk ships for this file; no folder: nothing of the desk's own (templates)."""
        folder = self.shipped_folder
        if folder is None:
            return Version()
        return read_version(self.spec.files(folder), folder, str(folder))

    def _snapshot(self) -> Snapshot | None:
        try:
            return self.snapshots(self.name)
        except Exception as exc:  # no database here (a CLI command), or it is down
            log.debug("%s: no last good version to be had: %s", self.name, exc)
            return None

    def _put(self, value: T, state: LiveState) -> None:
        self._value, self._state = value, state
        self.generation += 1
