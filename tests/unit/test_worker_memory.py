"""A worker's batch is cut by size, so ten large mails are never held at once."""

from __future__ import annotations

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
