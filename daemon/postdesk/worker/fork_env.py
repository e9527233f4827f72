"""What the daemon tells its worker processes' fork server, through the environment.

The fork server (`postdesk.worker.preload`) is started with the daemon's
environment and nothing else; these variables, set by
`postdesk.worker.pool.start_fork_server`, say what to prepare once for every
worker it forks. Each is a hint: without it (or when what it names cannot be
loaded) a worker loads what it needs itself.
"""

from __future__ import annotations

#: Comma-separated languages the desk writes in (the language model to load).
LANGUAGES_VARIABLE = "_POSTDESK_WORKER_LANGUAGES"
#: The desk's knowledge-base folder, to index once for every worker.
KB_VARIABLE = "_POSTDESK_WORKER_KB"
#: The desk's configuration file: its runtime (rules, templates, catalogs) is built once.
CONFIG_VARIABLE = "_POSTDESK_WORKER_CONFIG"
#: Set when the daemon imported peewee without the PostgreSQL driver (an SQLite desk,
#: `postdesk.store.driver`): the fork server does the same.
SQLITE_ONLY_VARIABLE = "_POSTDESK_WORKER_SQLITE_ONLY"
