"""A form the ticket page POSTs, files included (multipart), read within a size limit.

The files of a reply become attachments of the mail the reply stands for, so
the limit is the desk's own for mail (`[smtp] max_message_size`): a reply the
page accepts is one the SMTP listener would have accepted. Reading stops at
the limit, so an oversized upload costs no more memory than the limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from postdesk.config.settings import Settings

#: a form's text fields are small; this bounds each one apart from the file limit
MAX_FIELD_BYTES = 1024 * 1024
CHUNK = 64 * 1024


class TooLarge(Exception):
    """The form (its files, or one text field) is over the limit."""


@dataclass(frozen=True)
class Upload:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class PostedForm:
    fields: dict[str, str]
    files: tuple[Upload, ...] = field(default=())


async def read_form(request: web.Request, limit: int) -> PostedForm:
    """The fields and the non-empty files of a POSTed form; TooLarge past `limit` bytes."""
    if not request.content_type.startswith("multipart/"):
        if request.content_length is not None and request.content_length > limit:
            raise TooLarge
        form = await request.post()
        return PostedForm({k: v for k, v in form.items() if isinstance(v, str)})
    fields: dict[str, str] = {}
    files: list[Upload] = []
    total = 0
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            continue
        data = await _read_part(part, (limit - total) if part.filename else MAX_FIELD_BYTES)
        if part.filename:
            total += len(data)
            if data:  # a file input left empty still sends a part without a name's bytes
                files.append(Upload(_base_name(part.filename),
                                    part.headers.get("Content-Type",
                                                     "application/octet-stream"), data))
        else:
            fields[part.name] = data.decode(part.get_charset("utf-8"), "replace")
    return PostedForm(fields, tuple(files))


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _base_name(filename: str) -> str:
    """The file's own name: browsers escape `"` and line ends as %22, %0D, %0A (the
    HTML standard; some clients escape every byte), and browsers of old sent the
    whole client path."""
    name = unquote(filename).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(c for c in name if c.isprintable())[:200] or "file"


def reply_file_limit(settings: Settings) -> int:
    """The most file bytes one reply may carry: what fits, base64-encoded (4 bytes for
    3), in a mail of the desk's `[smtp] max_message_size`."""
    return settings.smtp.max_message_size * 3 // 4
