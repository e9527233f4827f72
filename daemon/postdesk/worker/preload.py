"""What the worker processes share: prepared once in the pool's fork server.

`postdesk.worker.pool.ProcessRunner` starts its processes from a fork server
(a clean, single-threaded process) that imports this module first. Every
worker is then a fork of it and shares, copy-on-write, what was prepared here
instead of building its own copy:

- Postdesk's modules, imported;
- the language model of `tickets.locale_guess` (py3langid's, costly in CPU and
  memory to load: bench/README.md, "Figures behind choices in the code"), for
  exactly the desk's languages;
- the desk's runtime (`postdesk.config.runtime`): settings, rules, teams,
  queues, SLA calendars, templates, catalogs and the knowledge base's index.
  A worker whose settings are these finds it installed and only looks whether
  a live file changed since (`_child_start`); before, each worker built its own,
  about 20 MiB of its own per process (bench/memory.py --idle).

What to prepare comes from the environment (`postdesk.worker.fork_env`). The
runtime is prepared only when every live file loads as it is on disk (a broken
one would need the database's last good version, and the fork server opens no
database); otherwise each worker builds its own, as it always could.

peewee is imported the way the daemon imported it: without psycopg for an
SQLite desk (`postdesk.store.driver`; about 20 MiB a process). A process that
imported psycopg (the test suite, which also runs PostgreSQL desks) gets a fork
server that has it too, since one fork server serves every pool of a process.

Last, the fork server's objects are frozen out of the garbage collector
(`gc.freeze`): a collection in a worker then never writes to the pages of
what it inherited, which stay shared instead of being copied into each worker.
"""

from __future__ import annotations

import contextlib
import gc
import os
from pathlib import Path

from postdesk.store.driver import load_peewee
from postdesk.worker import fork_env

if os.environ.get(fork_env.SQLITE_ONLY_VARIABLE):
    load_peewee("sqlite:")  # before anything below imports peewee

from postdesk import memory_release
from postdesk.config import runtime
from postdesk.config.load import load_settings
from postdesk.knowledge.library import read_folder
from postdesk.tickets.locale_guess import load_model
from postdesk.worker import pool  # noqa: F401  # and every module it needs


def warm_language_model(languages: list[str]) -> None:
    """Load the detection model for exactly the candidates the workers will ask about."""
    load_model(languages)


#: The runtime prepared here for the workers to share, if any.
PREPARED: runtime.Runtime | None = None


def prepare_runtime(config: Path) -> runtime.Runtime | None:
    """The desk's runtime with every live file loaded, installed for the workers to
    inherit; None (nothing installed) when a live file is broken."""
    prepared = runtime.Runtime(load_settings(config))
    prepared.live.warm()
    if any(live.state.error is not None for live in prepared.live):
        return None
    prepared.languages  # noqa: B018  # the templates' and catalogs' folders, read once
    prepared.identity  # noqa: B018
    return runtime.install(prepared)


_languages = [x for x in os.environ.get(fork_env.LANGUAGES_VARIABLE, "").split(",") if x]
if len(_languages) >= 2:
    warm_language_model(_languages)
# whatever is wrong, each worker loads it itself and reports it
if os.environ.get(fork_env.CONFIG_VARIABLE):
    with contextlib.suppress(Exception):
        PREPARED = prepare_runtime(Path(os.environ[fork_env.CONFIG_VARIABLE]))
# the knowledge base's index, built once here: a worker whose kb/ is unchanged finds it
# built (postdesk.knowledge.library.load_texts), one that sees a change builds its own
if os.environ.get(fork_env.KB_VARIABLE):
    with contextlib.suppress(Exception):
        read_folder(Path(os.environ[fork_env.KB_VARIABLE]))
memory_release.map_large_blocks()  # inherited by every worker
gc.freeze()
