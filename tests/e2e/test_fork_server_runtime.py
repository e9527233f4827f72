"""Worker processes share the desk runtime their fork server prepared, and never run on a
stale one.

The fork server builds the desk's runtime once (rules, templates, catalogs,
knowledge base); a worker forked from it whose settings are the same uses it
instead of building its own (about 20 MiB less per worker process: bench/memory.py
--idle). A file changed since is still seen; one broken since makes the worker build
its own runtime, which runs on the desk's last good version from the database. The
fork server of an SQLite desk's daemon imports no psycopg, like the daemon.

Each run is a fresh Python process as `postdesk serve` is: the test suite's own
fork server is shared by all its tests and prepared for none of their desks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rule_edits import BROKEN, OWN_RULE

_SCRIPT = r"""
import json, sys
from pathlib import Path
from postdesk.config.desk_init import init_desk
from postdesk.config.load import load_settings
from postdesk.store.driver import load_peewee

config = init_desk(Path(sys.argv[1]))
settings = load_settings(config)
load_peewee(settings.database_url)  # what the CLI does first for an SQLite desk

from postdesk.config import runtime
from postdesk.serve.daemon import prepare
from postdesk.store import db
from postdesk.worker.pool import make_runner, start_fork_server
from worker_probe import runtime_origin

context = start_fork_server(settings)  # as serve does: before it migrates
prepare(settings)
rules = settings.path(settings.paths.rules) / "automation.yaml"


def in_a_new_worker_process():
    runner = make_runner(settings, context)
    try:
        return runner._pool.submit(runtime_origin).result(timeout=120)
    finally:
        runner.close()


seen = {"started": in_a_new_worker_process()}
rules.write_text(rules.read_text(encoding="utf-8") + sys.argv[2], encoding="utf-8")
with db.database.connection_context():
    runtime.current().live.check()  # the daemon's poll: the new rule is the last good one
seen["changed"] = in_a_new_worker_process()
rules.write_text(rules.read_text(encoding="utf-8") + sys.argv[3], encoding="utf-8")
seen["broken"] = in_a_new_worker_process()
print(json.dumps(seen))
"""



def test_workers_share_the_fork_servers_runtime_but_never_a_stale_one(tmp_path: Path) -> None:
    tests = str(Path(__file__).resolve().parent.parent)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("POSTDESK_")}
    environ["PYTHONPATH"] = os.pathsep.join([tests, *sys.path])
    environ["POSTDESK_BROKER_WORKER_PROCESSES"] = "1"
    done = subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path / "desk"), OWN_RULE,
                           BROKEN], capture_output=True, text=True, env=environ,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.splitlines()[-1])

    started, changed, broken = seen["started"], seen["changed"], seen["broken"]
    assert started["inherited"] and started["error"] is None
    assert "acknowledge-new-ticket" in started["rules"]
    assert not started["psycopg"]  # an SQLite desk's fork server, like its daemon
    # a rule added after the fork server read the files: seen by the next worker
    assert changed["inherited"] and "tag-every-new-ticket" in changed["rules"]
    # broken after that: a runtime of its own, on the database's last good rules (which
    # have the new rule), not on the fork server's older version
    assert not broken["inherited"]
    assert "tag-every-new-ticket" in broken["rules"]
    assert str(broken["error"]).startswith("rules/automation.yaml:")
