"""The embedded desk's worker processes: forked from a warm fork server.

The fork server imports Postdesk and loads the language-detection model once;
every worker starts with both, so the first mail that needs detection does
not wait for the model, and the workers share its memory. A worker process
that starts while a rules file is broken runs on the desk's last good rules.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from postdesk.config import runtime
from postdesk.config.settings import Settings
from postdesk.config.shipped import shipped
from postdesk.serve.daemon import prepare
from postdesk.worker.pool import ProcessRunner, make_runner
from worker_probe import rules_in_force, state


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


OWN_RULE = """
  - name: tag-every-new-ticket
    on: ticket.created
    then:
      - add_tag: desk-rules
"""
BROKEN = "  - name: [this is not yaml\n"


def rules_in_a_new_worker_process(settings: Settings) -> dict[str, object]:
    runner = make_runner(settings)
    assert isinstance(runner, ProcessRunner)
    try:
        return runner._pool.submit(rules_in_force).result(timeout=60)  # type: ignore[no-any-return]
    finally:
        runner.close()


def test_a_worker_process_started_while_the_rules_are_broken_runs_on_the_last_good_ones(
        make_settings: Callable[..., Settings], sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, broker_worker_processes=1)
    rules = settings.path(settings.paths.rules) / "automation.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + OWN_RULE, encoding="utf-8")
    prepare(settings)  # what postdesk serve does first: the rules are good then
    broken = rules.read_text(encoding="utf-8") + BROKEN
    rules.write_text(broken, encoding="utf-8")

    seen = rules_in_a_new_worker_process(settings)
    assert "tag-every-new-ticket" in seen["rules"] and "acknowledge-new-ticket" in seen["rules"]
    line = len(broken.splitlines()) + 1
    assert str(seen["error"]).startswith(f"rules/automation.yaml:{line}: ")


def test_a_worker_process_of_a_desk_never_good_runs_on_the_shipped_rules(
        make_settings: Callable[..., Settings], sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, broker_worker_processes=1)
    rules = settings.path(settings.paths.rules) / "automation.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + OWN_RULE + BROKEN, encoding="utf-8")
    prepare(settings)

    seen = rules_in_a_new_worker_process(settings)
    shipped_rules = (shipped("rules") / "automation.yaml").read_text(encoding="utf-8")
    assert "acknowledge-new-ticket" in seen["rules"]
    assert "tag-every-new-ticket" not in seen["rules"]
    assert len(seen["rules"]) == shipped_rules.count("\n  - name: ")  # type: ignore[arg-type]
    assert str(seen["error"]).startswith("rules/automation.yaml:")
