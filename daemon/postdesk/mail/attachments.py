"""Attachments as the desk keeps them: safe file names, known types, inline or not, TNEF noted."""

from __future__ import annotations

import re
from dataclasses import dataclass

from postdesk.mail.header_text import WHITESPACE
from postdesk.mail.htmltext import referenced_content_ids
from postdesk.mail.parsed import TNEF_NOTE, Attachment

MAX_FILENAME_BYTES = 255


@dataclass(frozen=True)
class PendingAttachment:
    filename: str | None
    content_type: str
    data: bytes
    content_id: str | None
    disposition: str | None
    default_extension: str | None = None
    charset: str | None = None


_EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/ms-tnef": ".dat",
    "application/vnd.ms-tnef": ".dat",
    "application/pgp-signature": ".asc",
    "application/pgp-encrypted": ".asc",
    "application/pgp-keys": ".asc",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/pkcs7-mime": ".p7m",
    "application/x-pkcs7-mime": ".p7m",
    "application/msword": ".doc",
    "application/json": ".json",
    "image/jpeg": ".jpg",
    "image/pjpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
    "image/webp": ".webp",
    "image/tiff": ".tif",
    "image/svg+xml": ".svg",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "text/x-vcard": ".vcf",
    "text/vcard": ".vcf",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "audio/mpeg": ".mp3",
    "audio/x-wav": ".wav",
    "video/mp4": ".mp4",
}


_TYPES_BY_EXTENSION = {ext: ctype for ctype, ext in reversed(list(_EXTENSIONS.items()))}


_TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})


_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def type_for_name(name: str) -> str:
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _TYPES_BY_EXTENSION.get(extension, "application/octet-stream")


def finish_attachments(
    pending: list[PendingAttachment], html: str | None
) -> tuple[Attachment, ...]:
    cids = referenced_content_ids(html) if html and "cid:" in html.lower() else frozenset()
    finished = []
    for number, item in enumerate(pending, start=1):
        filename = sanitize_filename(item.filename or "", fallback=_fallback_name(item, number))
        inline = item.disposition == "inline" or (
            item.content_id is not None and item.content_id.lower() in cids
        )
        note = TNEF_NOTE if _is_tnef(item.content_type, filename) else None
        finished.append(
            Attachment(
                filename=filename,
                content_type=item.content_type,
                data=item.data,
                content_id=item.content_id,
                inline=inline,
                note=note,
            )
        )
    return tuple(finished)


def _is_tnef(content_type: str, filename: str) -> bool:
    return content_type in _TNEF_TYPES or filename.lower() == "winmail.dat"


def sanitize_filename(name: str, *, fallback: str = "attachment.bin") -> str:
    """A file name safe to store and offer for download; never empty.

    Directories are stripped (``../../etc/passwd`` gives ``passwd``), as are
    control and bidi-override characters and leading dots; the result is at
    most 255 bytes of UTF-8 and keeps its extension when shortened.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = WHITESPACE.sub(" ", _INVISIBLE.sub("", base)).strip()
    base = base.lstrip(". ").rstrip(" ")
    return _truncate_name(base or fallback)


def _fallback_name(item: PendingAttachment, number: int) -> str:
    extension = _EXTENSIONS.get(item.content_type, item.default_extension or ".bin")
    return f"attachment-{number}{extension}"


def _truncate_name(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_FILENAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    suffix = f".{extension}"
    if not dot or not stem or len(extension.encode("utf-8")) > 16:
        stem, suffix = name, ""
    budget = MAX_FILENAME_BYTES - len(suffix.encode("utf-8"))
    shortened = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    return shortened.rstrip() + suffix
