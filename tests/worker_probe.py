"""Run inside a worker process (pickled by reference): what that process already has."""

from __future__ import annotations

import os
import sys


def state(languages: tuple[str, ...]) -> dict[str, object]:
    from postdesk.tickets import locale_guess

    return {
        "pid": os.getpid(),
        "parent": os.getppid(),
        "model_loaded": tuple(sorted(languages)) in locale_guess._identifiers,
        "numpy_imported": "numpy" in sys.modules,
    }


def rules_in_force() -> dict[str, object]:
    """The automation rules this worker process runs on, and why not on the file."""
    from postdesk.config import runtime

    current = runtime.current()
    return {"rules": [rule.name for rule in current.rules.rules],
            "error": current.live_rules.last_error}


def runtime_origin() -> dict[str, object]:
    """Whether this worker process runs on the runtime its fork server prepared, which
    rules that runtime holds, and whether the process has the PostgreSQL driver."""
    from postdesk.config import runtime

    current = runtime.current()
    preload = sys.modules.get("postdesk.worker.preload")
    return {"inherited": current is getattr(preload, "PREPARED", False),
            "rules": [rule.name for rule in current.rules.rules],
            "error": current.live_rules.last_error,
            "psycopg": "psycopg" in sys.modules}
