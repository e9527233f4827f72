"""New files in a folder, written so that each appears whole and survives a power cut.

Each file is written under a temporary name in the folder's hidden `.tmp/`
subfolder (same file system, so the rename below is atomic; nobody listing
or watching the folder sees a half-written file), the data of all of them is
made durable at once, then each is renamed into the folder under its own name
and the folder is synced once, so the renames are durable too before the
caller counts the files as delivered.

A process killed in the middle leaves its temporaries in `.tmp/`, never
beside the delivered files; `remove_stale_temporaries` clears them when the
next writer starts (see its docstring for why only the old ones).

On Linux the data goes to disk with one `syncfs` of the folder's file system
for the whole batch; elsewhere with an `fdatasync` per file: one sync of a
batch costs a fraction of a sync per file (figures: bench/README.md, "Figures
behind choices in the code"). `syncfs` also writes whatever else on that file
system is waiting to be written, which is what a desk's own database there
needs anyway.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

#: The hidden subfolder of the temporaries.
TEMPORARY_FOLDER = ".tmp"
#: A temporary this old belongs to a writer that died: a live one renames (or removes)
#: its files within the seconds a batch takes to reach the disk.
STALE_AFTER_S = 600


def _find_syncfs() -> Callable[[int], int] | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (AttributeError, OSError):  # not Linux, or no C library to ask
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return function


_syncfs = _find_syncfs()


def write_all(folder: Path, files: Sequence[tuple[str, bytes]]) -> list[Path | OSError]:
    """Write each (name, data) into `folder`; per file, its path once it is durable, or
    the error that stopped it (nothing is left under its name then)."""
    results: list[Path | OSError | None] = [None] * len(files)
    written: list[tuple[int, int, str]] = []  # (index, open fd, temporary path)
    scratch = folder / TEMPORARY_FOLDER
    try:
        scratch.mkdir(exist_ok=True)
    except OSError as exc:
        return [exc] * len(files)
    try:
        for index, (_, data) in enumerate(files):
            try:
                written.append((index, *_write_temporary(scratch, data)))
            except OSError as exc:
                results[index] = exc
        try:
            _make_durable(folder, [fd for _, fd, _ in written])
        except OSError as exc:
            for index, _, _ in written:
                results[index] = exc
    finally:
        for _, fd, _ in written:
            os.close(fd)
    renamed = False
    for index, _, temporary in written:
        if results[index] is None:
            target = folder / files[index][0]
            try:
                os.replace(temporary, target)
            except OSError as exc:
                results[index] = exc
            else:
                results[index], renamed = target, True
    for index, _, temporary in written:
        if not isinstance(results[index], Path):
            Path(temporary).unlink(missing_ok=True)
    if renamed:
        try:
            _fsync_folder(folder)
        except OSError as exc:  # the renames may not last: none counts as delivered
            return [exc] * len(files)
    return [result if result is not None else OSError("not written") for result in results]


def remove_stale_temporaries(folder: Path, *, older_than_s: float = STALE_AFTER_S,
                             now: float | None = None) -> list[Path]:
    """Delete what killed writers left: temporaries in `.tmp/` older than `older_than_s`,
    and every `.tmp-*.part` beside the files (where versions before `.tmp/` wrote them).
    Return what was deleted.

    Only old ones in `.tmp/`: the worker processes of a desk (and `postdesk worker`s on
    the same machine) share the folder, and a process that starts must not take the
    file another one is about to rename. Were it to, that mail would fail its try and
    be sent again later, not lost."""
    limit = (time.time() if now is None else now) - older_than_s
    stale = [path for path in folder.glob(".tmp-*.part") if path.is_file()]
    scratch = folder / TEMPORARY_FOLDER
    if scratch.is_dir():
        for path in scratch.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    stale.append(path)
            except FileNotFoundError:  # its writer renamed it meanwhile
                continue
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _write_temporary(folder: Path, data: bytes) -> tuple[int, str]:
    fd, temporary = tempfile.mkstemp(prefix=f"{os.getpid()}-", suffix=".part", dir=folder)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except BaseException:
        os.close(fd)
        Path(temporary).unlink(missing_ok=True)
        raise
    return fd, temporary


def _make_durable(folder: Path, fds: list[int]) -> None:
    if not fds:
        return
    if _syncfs is not None:
        handle = os.open(folder, os.O_RDONLY)
        try:
            if _syncfs(handle) != 0:
                error = ctypes.get_errno()
                raise OSError(error, f"syncfs: {os.strerror(error)}", str(folder))
        finally:
            os.close(handle)
        return
    sync = getattr(os, "fdatasync", os.fsync)
    for fd in fds:
        sync(fd)


def _fsync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
