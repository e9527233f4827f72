"""The embedded desk's worker processes: forked from a warm fork server.

The fork server imports Postdesk and loads the language-detection model once;
every worker starts with both, so the first mail that needs detection does
not wait for the model, and the workers share its memory. A worker process
that starts while a rules file is broken runs on the desk's last good rules. A
worker process that read more than `[broker] recycle_megabytes` of mail is
replaced, and no mail is lost or processed twice.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from mailbuild import customer_mail, wait_for
from postdesk.config import runtime
from postdesk.config.settings import Settings
from postdesk.config.shipped import shipped
from postdesk.serve.daemon import prepare
from postdesk.store import db
from postdesk.store.inbound import Arrival, store_inbound
from postdesk.store.models import Inbound, Message, Ticket
from postdesk.worker.pool import ProcessRunner, make_runner
from rule_edits import BROKEN, OWN_RULE
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


def logs_mail(n: int) -> bytes:
    """A customer's mail with 400 KB of logs attached."""
    msg = customer_mail(sender=f"Customer {n} <c{n}@customer.example>", subject=f"Logs {n}",
                        message_id=f"<logs{n}@customer.example>")
    msg.add_attachment(os.urandom(300_000), maintype="application",
                       subtype="octet-stream", filename="printer.log")
    return msg.as_bytes()


def test_a_worker_process_that_read_enough_mail_is_replaced_and_no_mail_is_lost_or_doubled(
        make_settings: Callable[..., Settings], sqlite_url: str, caplog) -> None:
    """[broker] recycle_megabytes = 1: after about three of these mails a process is
    replaced by a fresh fork; the mails before and after are each processed once."""
    settings = make_settings(sqlite_url, broker_worker_processes=2,
                             broker_recycle_megabytes=1)
    prepare(settings)
    with db.database.connection_context():
        ids = [store_inbound(Arrival(raw=logs_mail(n), mail_from=f"c{n}@customer.example",
                                     rcpt_to=("support@example.com",), source="smtp"))
               for n in range(12)]
    caplog.set_level(logging.INFO, logger="postdesk.worker.pool")
    runner = make_runner(settings)
    assert isinstance(runner, ProcessRunner)
    try:
        first_pool = runner._pool
        first_pids = {runner._pool.submit(state, ()).result(timeout=60)["pid"]
                      for _ in range(4)}
        with ThreadPoolExecutor(max_workers=4) as threads:
            list(threads.map(runner.run, ids[:6]))
        # a process answers for its mails first, then it is replaced
        wait_for(lambda: runner._pool is not first_pool, timeout=60)
        middle_pids = {runner._pool.submit(state, ()).result(timeout=60)["pid"]
                       for _ in range(4)}
        with ThreadPoolExecutor(max_workers=4) as threads:
            list(threads.map(runner.run, ids[6:]))
    finally:
        runner.close()

    recycled = [r for r in caplog.records if r.getMessage().startswith(
        "worker processes recycled")]
    assert recycled
    assert middle_pids.isdisjoint(first_pids)  # fresh processes took the later mails
    with db.database.connection_context():
        assert [row.state for row in Inbound.select().order_by(Inbound.id)] == ["done"] * 12
        subjects = sorted(t.subject for t in Ticket.select())
        assert subjects == sorted(f"Logs {n}" for n in range(12))  # each mail once
        # one message per mail (intake may add its notes on possible duplicates beside them)
        assert Message.select().where(Message.inbound.is_null(False)).count() == 12
