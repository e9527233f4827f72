"""Structured logs: one event per line, as `key=value` text or JSON (`[log] format`).

Every line carries `ts`, `level`, `logger` and `msg`; a line written while an
inbound mail or an outbox row is being handled also carries `inbound=`,
`outbox=` and `ticket=`. Those come from context variables set where the row
is handled (`log_context`, `bind`), so no call site has to pass them, and a
logging filter copies them onto each record. Fields passed with
`extra={...}` become keys too (`state=done`).

What never reaches a line: a password inside a URL (`smtp://u:***@host`),
and mail bodies (no code logs one at INFO; keep it so). Control characters
and newlines are escaped, so one event is always one line, also a traceback.

`[log] file` writes to a file instead of standard error; SIGHUP (or
`reopen()`) reopens it after logrotate moved it, and a process that gets no
SIGHUP (a spawned worker process) notices the move on its next line.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import logging.handlers
import re
import string
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from postdesk.config.settings import LogSettings, Settings

#: Keys copied from the context onto every record, in this order on the line.
CONTEXT_KEYS = ("inbound", "outbox", "ticket")
_NO_IDS: dict[str, int | None] = dict.fromkeys(CONTEXT_KEYS)
#: The ids of the row being handled; None outside any `log_context`. One variable for
#: all of them: a context is entered for every mail and row, several times over.
_ids: contextvars.ContextVar[dict[str, int | None] | None] = contextvars.ContextVar(
    "postdesk_log_ids", default=None)

#: Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName", *CONTEXT_KEYS}
#: A run of characters without white space that holds "://" (matched from a run's start
#: only: from inside a long run a search would scan it again from every position).
_URL_RUN = re.compile(r"(?<!\S)\S*://\S*")
_SCHEME_CHARS = frozenset(string.ascii_letters + string.digits + "+.-")
_BARE = re.compile(r"[A-Za-z0-9_.:/@+\-,#<>\[\]()]+")
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}


@contextlib.contextmanager
def log_context(**ids: int | None) -> Iterator[None]:
    """Lines logged inside carry these ids (inbound=, outbox=, ticket=); restored after."""
    current = _ids.get() or _NO_IDS
    # what `bind` adds inside is undone at the end too: it replaces this value
    token = _ids.set({key: ids[key] if key in ids else current[key] for key in CONTEXT_KEYS})
    try:
        yield
    finally:
        _ids.reset(token)


def bind(**ids: int | None) -> None:
    """Add an id learnt on the way (the ticket a mail belongs to) to the current context;
    outside a `log_context` (which restores it afterwards) nothing happens."""
    current = _ids.get()
    if current is None:
        return
    learnt = {key: value for key, value in ids.items() if value is not None}
    if learnt:
        _ids.set({**current, **learnt})


def redact(text: str) -> str:
    """Hide the password of every URL in the text (`scheme://user:password@host`).

    Linear in the text, whatever it holds: log lines can carry what a mail or a
    server sent."""
    return _URL_RUN.sub(_redact_run, text) if "://" in text else text


def _redact_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if "@" not in run or ":" not in run:
        return run
    pieces, kept_from, search_from = [], 0, 0
    nearest: dict[str, int] = {}  # the next ":", "/", "@" found so far (they only move on)

    def next_of(char: str, position: int) -> int:
        found = nearest.get(char)
        if found is None or -1 < found < position:  # not looked for yet, or left behind
            found = nearest[char] = run.find(char, position)
        return found

    while (sep := run.find("://", search_from)) != -1:
        search_from = user = sep + 3
        if sep == 0 or run[sep - 1] not in _SCHEME_CHARS:
            continue
        colon, slash, at = next_of(":", user), next_of("/", user), next_of("@", user)
        if colon == -1 or at == -1:
            break
        if colon < at and not -1 < slash < colon:  # user:password@, no "/" in the user
            pieces.append(run[kept_from:colon + 1] + "***")
            kept_from = search_from = at
    pieces.append(run[kept_from:])
    return "".join(pieces)


class ContextFilter(logging.Filter):
    """Copies the current inbound/outbox/ticket ids onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = _ids.get() or _NO_IDS
        for key in CONTEXT_KEYS:
            if getattr(record, key, None) is None:
                setattr(record, key, ids[key])
        return True


def _timestamp(created: float) -> str:
    """`2026-12-02T04:28:58.542Z`: the time of a record, UTC, to the millisecond."""
    second = int(created)
    micro = round((created - second) * 1e6)  # as datetime.fromtimestamp rounds it
    if micro >= 1_000_000:
        second, micro = second + 1, micro - 1_000_000
    global _last_second
    known, prefix = _last_second
    if known != second:  # a new second: format it once for all its lines
        prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        _last_second = (second, prefix)
    return f"{prefix}{micro // 1000:03d}Z"


_last_second: tuple[int, str] = (-1, "")  # the last second formatted, and its text


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ts": _timestamp(record.created),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": redact(record.getMessage()),
    }
    for key in CONTEXT_KEYS:
        value = getattr(record, key, None)
        if value is not None:
            fields[key] = value
    for key, value in vars(record).items():
        if key not in _STANDARD and not key.startswith("_"):
            fields[key] = redact(value) if isinstance(value, str) else value
    if record.exc_info:
        fields["exc"] = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        fields["exc"] = redact(record.exc_text)
    return fields


class KeyValueFormatter(logging.Formatter):
    """`ts=... level=info logger=postdesk inbound=12 msg="..."`: logfmt, one line per event."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_quote(value)}" for key, value in _fields(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), ensure_ascii=False, default=str)


def _quote(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if text and _BARE.fullmatch(text):
        return text
    return json.dumps(text, ensure_ascii=False)  # quotes, escapes newlines and controls


class ReopenableFileHandler(logging.handlers.WatchedFileHandler):
    """A log file that `reopen()` (SIGHUP) reopens, and that notices a rotation by itself."""

    def reopen(self) -> None:
        self.acquire()
        try:
            if self.stream is not None:
                self.stream.close()
            self.stream = self._open()
            self._statstream()
        finally:
            self.release()


def configure(settings: LogSettings, *, file: str = "", verbose: bool = False) -> None:
    """Replace the root logger's handlers with one formatted as `[log]` says."""
    handler: logging.Handler = (ReopenableFileHandler(file, encoding="utf-8") if file
                                else logging.StreamHandler(sys.stderr))
    handler.setFormatter(JsonFormatter() if settings.format == "json" else KeyValueFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else LEVELS[settings.level])
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter


def configure_desk(settings: Settings, *, verbose: bool = False) -> None:
    """The logging of a long-running desk process (serve, worker, their worker processes)."""
    file = str(settings.path(settings.log.file)) if settings.log.file else ""
    configure(settings.log, file=file, verbose=verbose)


def reopen() -> None:
    """SIGHUP: reopen the log file (after logrotate); nothing to do for standard error."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, ReopenableFileHandler):
            handler.reopen()
