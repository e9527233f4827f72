"""The two places where Postdesk reaches into aioimaplib's internals, and the check that they exist.

aioimaplib 2.0.3 (the only version these were verified on; pyproject.toml pins
it) has two flaws the intake cannot live with:

* it parses one network read recursively, one stack frame per line, so a read
  holding more than ~900 short lines (the sizes of a large folder) ends in
  RecursionError and a dead session: `feed_in_slices` hands it small slices;
* it drops an untagged EXISTS that arrives during another command (a mail
  appended while we FETCH), and a BYE in the middle of a command goes
  unnoticed: `watch_untagged` sees every untagged line first.

Both wrap private methods of `IMAP4ClientProtocol`, and the session uses a few
private attributes (`idle_queue`, `tasks`). `check_aioimaplib()` runs when the
daemon starts its IMAP sources (and in `postdesk imap test`): if a different
aioimaplib is installed, or any of these internals is gone, it stops with a
clear error instead of a session that silently misses mail.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from typing import Any

import aioimaplib

from postdesk.errors import PostdeskError

#: aioimaplib versions the patches below were verified on (tests/imap against dovecot).
VERIFIED_VERSIONS = ("2.0.3",)

#: At most this much received data per aioimaplib parse.
SLICE_BYTES = 4096

_PROTOCOL_METHODS = ("_untagged_response", "_handle_responses", "data_received", "execute",
                     "new_tag", "fetch", "store", "copy", "move", "expunge", "capability")
_PROTOCOL_ATTRIBUTES = ("idle_queue", "tasks", "transport", "loop", "pending_async_commands")
_CLIENT_METHODS = ("idle_start", "idle_done", "has_pending_idle", "wait_hello_from_server",
                   "login", "logout", "select", "list", "noop", "has_capability")


class AioimaplibMismatch(PostdeskError):
    """The installed aioimaplib is not one whose internals the IMAP intake was verified on."""


def check_aioimaplib(version: str | None = None) -> None:
    """Raise AioimaplibMismatch unless aioimaplib is a verified version with our internals."""
    installed = version or importlib.metadata.version("aioimaplib")
    fix = (f"install a verified one: pip install 'aioimaplib=={VERIFIED_VERSIONS[-1]}' "
           "(Postdesk patches its internals; see postdesk.channels.email.imap.patches)")
    if installed not in VERIFIED_VERSIONS:
        raise AioimaplibMismatch(f"IMAP intake: aioimaplib {installed} is installed, but only "
                                 f"{', '.join(VERIFIED_VERSIONS)} is verified; {fix}")
    missing = missing_internals(aioimaplib)
    if missing:
        raise AioimaplibMismatch(f"IMAP intake: aioimaplib {installed} lacks internals Postdesk "
                                 f"needs ({', '.join(missing)}); {fix}")


def missing_internals(module: Any) -> list[str]:
    """Names of the aioimaplib internals the session relies on that `module` does not have."""
    missing = [f"aioimaplib.{name}" for name in ("IMAP4", "IMAP4ClientProtocol", "Command",
                                                 "Abort", "CommandTimeout", "AioImapException")
               if not hasattr(module, name)]
    if missing:
        return missing
    protocol_class = module.IMAP4ClientProtocol
    missing += [f"IMAP4ClientProtocol.{name}" for name in _PROTOCOL_METHODS
                if not callable(getattr(protocol_class, name, None))]
    try:
        protocol = protocol_class(None)
    except Exception as exc:  # a changed constructor is a mismatch too
        return [*missing, f"IMAP4ClientProtocol(loop) ({exc})"]
    missing += [f"IMAP4ClientProtocol().{name}" for name in _PROTOCOL_ATTRIBUTES
                if not hasattr(protocol, name)]
    missing += [f"IMAP4.{name}" for name in _CLIENT_METHODS
                if not callable(getattr(module.IMAP4, name, None))]
    return missing


def feed_in_slices(protocol: aioimaplib.IMAP4ClientProtocol) -> None:
    """Hand received data to aioimaplib in slices of SLICE_BYTES.

    Slices are what a slow network would deliver anyway; the parser already
    handles lines and literals split across reads.
    """
    original = protocol.data_received

    def data_received(data: bytes) -> None:
        for start in range(0, len(data), SLICE_BYTES):
            original(data[start:start + SLICE_BYTES])

    protocol.data_received = data_received


def watch_untagged(protocol: aioimaplib.IMAP4ClientProtocol,
                   seen: Callable[[bytes], None]) -> None:
    """Call `seen(line)` with every untagged response line (without "* ") before aioimaplib."""
    original = protocol._untagged_response

    def untagged(line: bytes) -> Any:
        seen(line[2:] if line.startswith(b"* ") else line)
        return original(line)

    protocol._untagged_response = untagged
