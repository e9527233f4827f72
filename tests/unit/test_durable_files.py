"""A batch of new files: each whole under its own name once durable, or not there at all."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from postdesk.channels.email import durable_files

FILES = [(f"mail-{n}.eml", f"Subject: mail {n}\r\n\r\n{'x' * 5000 * n}\r\n".encode())
         for n in range(4)]


def contents(folder: Path) -> dict[str, bytes]:
    """The files of `folder`, once it is sure that no temporary is left in it."""
    assert list((folder / durable_files.TEMPORARY_FOLDER).iterdir()) == []
    return {path.name: path.read_bytes() for path in folder.iterdir() if not path.is_dir()}


def test_every_file_is_there_whole_and_no_temporary_is_left(tmp_path: Path) -> None:
    results = durable_files.write_all(tmp_path, FILES)
    assert results == [tmp_path / name for name, _ in FILES]
    assert contents(tmp_path) == dict(FILES)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs is Linux's")
def test_on_linux_one_syncfs_makes_the_whole_batch_durable(tmp_path: Path,
                                                           monkeypatch) -> None:
    calls: list[int] = []
    syncfs = durable_files._syncfs
    assert syncfs is not None
    monkeypatch.setattr(durable_files, "_syncfs", lambda fd: calls.append(fd) or syncfs(fd))
    monkeypatch.setattr(os, "fdatasync", lambda fd: pytest.fail("synced file by file"))
    durable_files.write_all(tmp_path, FILES)
    assert len(calls) == 1


def test_without_syncfs_each_file_is_synced(tmp_path: Path, monkeypatch) -> None:
    synced: list[int] = []
    monkeypatch.setattr(durable_files, "_syncfs", None)
    monkeypatch.setattr(os, "fdatasync", synced.append)
    assert durable_files.write_all(tmp_path, FILES) == [tmp_path / n for n, _ in FILES]
    assert len(synced) == len(FILES) and contents(tmp_path) == dict(FILES)


def test_a_failed_sync_delivers_none_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    def broken(folder: Path, fds: list[int]) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(durable_files, "_make_durable", broken)
    results = durable_files.write_all(tmp_path, FILES)
    assert all(isinstance(r, OSError) and r.errno == 5 for r in results)
    assert contents(tmp_path) == {}


def test_a_file_that_cannot_be_written_fails_alone(tmp_path: Path, monkeypatch) -> None:
    write = durable_files._write_temporary

    def full_disk(folder: Path, data: bytes) -> tuple[int, str]:
        if b"mail 2" in data:
            raise OSError(28, "No space left on device")
        return write(folder, data)

    monkeypatch.setattr(durable_files, "_write_temporary", full_disk)
    results = durable_files.write_all(tmp_path, FILES)
    assert isinstance(results[2], OSError) and results[2].errno == 28
    assert [r for i, r in enumerate(results) if i != 2] == [
        tmp_path / name for i, (name, _) in enumerate(FILES) if i != 2]
    assert contents(tmp_path) == {name: data for i, (name, data) in enumerate(FILES) if i != 2}


def test_only_temporaries_old_enough_to_be_dead_are_removed(tmp_path: Path) -> None:
    durable_files.write_all(tmp_path, FILES)
    scratch = tmp_path / durable_files.TEMPORARY_FOLDER
    dead, writing = scratch / "4242-dead.part", scratch / "4343-writing.part"
    dead.write_bytes(b"Subject: half")
    writing.write_bytes(b"Subject: in a")
    long_ago = time.time() - durable_files.STALE_AFTER_S - 60
    os.utime(dead, (long_ago, long_ago))
    assert durable_files.remove_stale_temporaries(tmp_path) == [dead]
    assert list(scratch.iterdir()) == [writing]  # another process may be about to rename it
    writing.unlink()
    assert contents(tmp_path) == dict(FILES)


def test_a_folder_without_temporaries_is_left_as_it_is(tmp_path: Path) -> None:
    assert durable_files.remove_stale_temporaries(tmp_path / "never-written") == []
    durable_files.write_all(tmp_path, FILES)
    assert durable_files.remove_stale_temporaries(tmp_path, older_than_s=0,
                                                  now=time.time() + 1) == []
    assert contents(tmp_path) == dict(FILES)
