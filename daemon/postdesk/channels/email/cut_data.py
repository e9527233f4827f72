"""A session cut off while its mail's data arrives lets go of what it read.

When the connection drops during DATA (the client went away, or stayed silent
past ``[smtp] timeout``), aiosmtpd's DATA step ends with ``CancelledError``.
The error keeps its traceback, the traceback keeps the step's frame, and the
frame keeps the list of lines read so far: up to the whole mail. The session's
task keeps the error, and task, protocol and error make a reference cycle, so
those bytes stayed until a full garbage collection, which a daemon with few
new objects may not run for a long time (tens of megabytes after a few cut
large mails). This mixin clears the frames of the finished steps as the error
passes, so the lines go at once, and has the memory given back soon after
(`postdesk.memory_release`).
"""

from __future__ import annotations

import asyncio
import traceback

from postdesk import memory_release


class ReleaseCutData:
    """Mixin for aiosmtpd's SMTP/LMTP protocol classes (before aiosmtpd's class and the
    mixins that wrap its DATA step): a cut DATA step leaves nothing behind."""

    async def smtp_DATA(self, arg: str) -> None:
        try:
            await super().smtp_DATA(arg)  # type: ignore[misc]
        except asyncio.CancelledError as exc:
            traceback.clear_frames(exc.__traceback__)  # (the running frame is skipped)
            memory_release.give_back_soon()
            raise
