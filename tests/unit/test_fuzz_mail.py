"""Issue 25, "make it stay fixed": hostile variants of real-looking mail never make the
worker's pure path raise (parse, classify, reply extraction, correlation).

A few hundred fixed examples run in `make test` (derandomized: the same cases every run,
no deadline: the assertion is that nothing escapes, never how long it took);
bench/fuzz.py runs the same mutations for 100,000 cases and reports the slowest.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail_mutations import MUTATIONS, SEEDS, mutated, read_mail


@settings(max_examples=250, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(seed=st.sampled_from(SEEDS),
       kinds=st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=3),
       salt=st.integers(min_value=0, max_value=2**32 - 1))
def test_no_exception_escapes_the_pure_path_of_a_mail(seed: bytes, kinds: list[str],
                                                      salt: int) -> None:
    raw = mutated(seed, kinds, random.Random(salt), big=False)

    reading = read_mail(raw)

    assert reading.kind in {"normal", "auto_reply", "bounce", "bulk", "loop", "suspicious"}


def test_every_seed_reads_cleanly() -> None:
    kinds = [read_mail(seed).kind for seed in SEEDS]

    assert kinds == ["normal", "normal", "normal", "bounce", "auto_reply"]
    assert all(read_mail(seed).swallowed == () for seed in SEEDS)
