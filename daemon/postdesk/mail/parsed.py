"""What parsing a mail gives the rest of the desk: plain frozen data, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

TNEF_NOTE = "TNEF (winmail.dat) kept as an attachment; its contents were not unpacked"


@dataclass(frozen=True)
class Address:
    """One mailbox from an address header."""

    email: str
    name: str

    @property
    def normalized(self) -> str:
        """The address lowercased, for lookups."""
        return self.email.lower()


@dataclass(frozen=True)
class Attachment:
    """A non-body MIME part (or uuencoded file), decoded, with a safe file name."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None
    inline: bool
    note: str | None = None


@dataclass(frozen=True)
class ParsedMail:
    """Everything the desk needs from one mail, decoded and normalised."""

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    sender: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    languages: tuple[str, ...]
    defects: tuple[str, ...]
    #: the header ``sender`` was read from: "From", else "Sender" or "Reply-To" when From
    #: held no usable address (the worker may add "envelope" or "unknown")
    sender_source: str = "From"
