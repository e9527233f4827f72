"""What the worker processes share: imported once in the pool's fork server.

`postdesk.worker.pool.ProcessRunner` starts its processes from a fork server
(a clean, single-threaded process) that imports this module first. Every
worker is then a fork of it: Postdesk's modules are already imported, and the
language model of `tickets.locale_guess` (py3langid's, costly in CPU and
memory to load: bench/README.md, "Figures behind choices in the code") is
loaded once, its arrays shared copy-on-write by all the workers, instead of
loaded again by each worker on the first mail that needs it. So is the index of
the desk's knowledge base (`kb/`).

The fork server is started with the parent's environment, which names the
desk's languages in `pool.LANGUAGES_VARIABLE`; without it (or with fewer than two
languages, when nothing is ever detected) no model is loaded here, and a
worker loads it itself if it ever needs it. (peewee is imported here with
every driver it finds, psycopg too, about 20 MB a process: the fork server
outlives one desk's pool and may serve another desk's on PostgreSQL.)

Last, the fork server's objects are frozen out of the garbage collector
(`gc.freeze`): a collection in a worker then never writes to the pages of
what it inherited, which stay shared instead of being copied into each worker.
"""

from __future__ import annotations

import contextlib
import gc
import os
from pathlib import Path

from postdesk import memory_release
from postdesk.knowledge.library import read_folder
from postdesk.tickets.locale_guess import detect_language
from postdesk.worker.pool import KB_VARIABLE, LANGUAGES_VARIABLE  # and every module it needs

#: Long enough for detection to consult the model (locale_guess.MIN_LETTERS).
_SAMPLE = "This sentence is only here so that the language model gets loaded once."


def warm_language_model(languages: list[str]) -> None:
    """Load the detection model for exactly the candidates the workers will ask about."""
    detect_language(_SAMPLE, languages)


_languages = [x for x in os.environ.get(LANGUAGES_VARIABLE, "").split(",") if x]
if len(_languages) >= 2:
    warm_language_model(_languages)
# the knowledge base's index, built once here: a worker whose kb/ is unchanged finds it
# built (postdesk.knowledge.library.load_texts), one that sees a change builds its own
if os.environ.get(KB_VARIABLE):
    # whatever is wrong, each worker loads the folder itself and reports it
    with contextlib.suppress(Exception):
        read_folder(Path(os.environ[KB_VARIABLE]))
memory_release.map_large_blocks()  # inherited by every worker
gc.freeze()
