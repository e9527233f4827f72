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
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from postdesk.config import LogSettings, Settings

#: Keys copied from the context onto every record, in this order on the line.
CONTEXT_KEYS = ("inbound", "outbox", "ticket")
_context: dict[str, contextvars.ContextVar[int | None]] = {
    key: contextvars.ContextVar(f"postdesk_log_{key}", default=None) for key in CONTEXT_KEYS}
_active: contextvars.ContextVar[bool] = contextvars.ContextVar("postdesk_log_active",
                                                             default=False)

#: Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName", *CONTEXT_KEYS}
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*):[^@\s]*@", re.IGNORECASE)
_BARE = re.compile(r"[A-Za-z0-9_.:/@+\-,#<>\[\]()]+")
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}


@contextlib.contextmanager
def log_context(**ids: int | None) -> Iterator[None]:
    """Lines logged inside carry these ids (inbound=, outbox=, ticket=); restored after."""
    # every key gets a token, so what `bind` adds inside is undone at the end too
    tokens: list[tuple[contextvars.ContextVar[Any], contextvars.Token[Any]]] = [
        (var, var.set(ids[key] if key in ids else var.get())) for key, var in _context.items()]
    tokens.append((_active, _active.set(True)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def bind(**ids: int | None) -> None:
    """Add an id learnt on the way (the ticket a mail belongs to) to the current context;
    outside a `log_context` (which restores it afterwards) nothing happens."""
    if not _active.get():
        return
    for key, value in ids.items():
        if value is not None:
            _context[key].set(value)


def redact(text: str) -> str:
    """Hide the password of every URL in the text."""
    return _URL_PASSWORD.sub(r"\1:***@", text)


class ContextFilter(logging.Filter):
    """Copies the current inbound/outbox/ticket ids onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, var in _context.items():
            if getattr(record, key, None) is None:
                setattr(record, key, var.get())
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    moment = datetime.fromtimestamp(record.created, UTC)
    fields: dict[str, Any] = {
        "ts": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
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
