"""The embedded desk's worker processes: forked from a warm fork server.

The fork server imports Postdesk and loads the language-detection model once;
every worker starts with both, so the first mail that needs detection does
not wait for the model, and the workers share its memory.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from postdesk.config import runtime
from postdesk.config.settings import Settings
from postdesk.worker.pool import ProcessRunner, make_runner
from worker_probe import state


def test_workers_start_with_the_language_model_loaded(
        make_settings: Callable[..., Settings], sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, broker_worker_processes=2)
    languages = runtime.Runtime(settings).languages
    assert set(languages) >= {"en", "pl", "de"}
    runner = make_runner(settings)
    assert isinstance(runner, ProcessRunner)
    try:
        seen = [runner._pool.submit(state, languages).result(timeout=60) for _ in range(6)]
    finally:
        runner.close()
    assert all(s["model_loaded"] for s in seen), seen
    parents = {s["parent"] for s in seen}
    assert len(parents) == 1 and os.getpid() not in parents  # forked by the fork server
    assert 1 <= len({s["pid"] for s in seen}) <= 2


def test_a_replaced_pool_forks_from_the_same_warm_server(
        make_settings: Callable[..., Settings], sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, broker_worker_processes=1)
    first = make_runner(settings)
    assert isinstance(first, ProcessRunner)
    try:
        before = first._pool.submit(state, ()).result(timeout=60)
        os.kill(int(str(before["pid"])), 9)
        try:
            first.run(10**9)
        except Exception as exc:  # the dead process breaks the pool; the runner replaces it
            assert "worker process died" in str(exc)
        after = first._pool.submit(state, runtime.Runtime(settings).languages).result(timeout=60)
    finally:
        first.close()
    assert after["pid"] != before["pid"]
    assert after["parent"] == before["parent"]
    assert after["model_loaded"] and after["numpy_imported"]
