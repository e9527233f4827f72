"""One exception tree for Postdesk.

Each process maps these to outcomes in one place: the SMTP handler turns
`RejectMessage` into a 5xx reply and `TemporaryFailure` into a 4xx, the pipe
command exits 75 on `TemporaryFailure`, the worker records `failed` with the
reason for anything it cannot process.
"""

from __future__ import annotations


class PostdeskError(Exception):
    """Base of every error Postdesk raises on purpose."""


class ConfigError(PostdeskError):
    """The configuration is invalid; the message names the file, line and key."""


class RuleError(ConfigError):
    """A rules file is invalid; the message reads `file:line: what is wrong`."""


class RejectMessage(PostdeskError):
    """Refuse a mail permanently at intake (SMTP 5xx)."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}")
        self.code = code
        self.text = text

    @property
    def smtp_reply(self) -> str:
        return f"{self.code} {self.text}"


class TemporaryFailure(PostdeskError):
    """The sender should retry later (SMTP 4xx, exit 75, queue retry)."""


class IgnoreMessage(PostdeskError):
    """Store the mail but do not act on it (loops, bulk mail); carries the reason."""


class ProcessingError(PostdeskError):
    """A stored mail cannot be turned into ticket data; the reason is shown to admins."""
