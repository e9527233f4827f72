"""A worker's batch is cut by size, so ten large mails are never held at once."""

from __future__ import annotations

import ctypes
import ctypes.util
import subprocess
import sys

import pytest

from postdesk.memory_release import give_back
from postdesk.worker.memory import split_by_size, worn_out

MB = 1024 * 1024


def test_a_batch_of_large_mails_is_read_in_runs_within_the_limit() -> None:
    ids = list(range(1, 11))
    sizes = dict.fromkeys(ids, 25 * MB)
    runs = split_by_size(ids, sizes, 32 * MB)
    assert runs == [[i] for i in ids]  # before: one batch of 250 MB


def test_small_mails_still_go_together_and_a_huge_one_alone_in_order() -> None:
    sizes = {1: MB, 2: MB, 3: 40 * MB, 4: MB, 5: 30 * MB, 6: MB}
    assert split_by_size([1, 2, 3, 4, 5, 6], sizes, 32 * MB) == [[1, 2], [3], [4, 5, 6]]
    assert split_by_size([7, 8], {}, 32 * MB) == [[7, 8]]  # sizes unknown: together
    assert split_by_size([], sizes, 32 * MB) == []


def test_giving_memory_back_is_harmless() -> None:
    give_back()


def test_a_worker_process_is_worn_out_past_recycle_megabytes_and_never_at_zero() -> None:
    assert not worn_out(64 * MB, 64)
    assert worn_out(64 * MB + 1, 64)
    assert not worn_out(10**12, 0)


_MAPPED_AFTER_A_LARGE_MAIL = """
import ctypes, sys
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in "arena ordblks smblks hblks hblkhd "
                "usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
exec(sys.argv[1])  # what the process does at start
mail = bytearray(25 * 1024 * 1024)
del mail  # glibc used to raise its mmap threshold to 25 MB here
blocks = [bytearray(1024 * 1024) for _ in range(20)]
print(libc.mallinfo2().hblkhd)
"""


@pytest.mark.parametrize("start", ["import postdesk.worker.preload",
                                   "from postdesk.memory_release import map_large_blocks; "
                                   "map_large_blocks()"])
def test_blocks_after_a_large_mail_still_get_pages_of_their_own(start: str) -> None:
    """The fork server of the worker processes, and the daemon (`serve` calls
    map_large_blocks): a large mail's memory goes back to the system when freed, and the
    blocks after it do not come from a heap that cannot shrink."""
    if not hasattr(ctypes.CDLL(ctypes.util.find_library("c")), "mallinfo2"):
        pytest.skip("not glibc 2.33 or later")
    done = subprocess.run([sys.executable, "-c", _MAPPED_AFTER_A_LARGE_MAIL, start],
                          capture_output=True, text=True, check=True, timeout=120)
    assert int(done.stdout) >= 20 * MB  # the twenty 1 MB blocks are mapped
