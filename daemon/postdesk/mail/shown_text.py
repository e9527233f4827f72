"""What people read of an arriving mail, and what is kept beside it.

* a follow-up shows its new text (:func:`postdesk.mail.reply.extract_reply`); when
  nothing in it looks new, its whole text, flagged, so the agent knows that nothing
  was cut rather than that the customer wrote a wall of quotes;
* a mail that forwards another shows what the customer wrote above the forward; the
  forwarded block becomes a ``forwarded.txt`` part of the message
  (:mod:`postdesk.mail.forwarded`); a bare forward (nothing written above it) shows
  the forward itself;
* the first mail of a ticket is shown as it came.

The full text as received is stored beside all this (``Message.body``): extraction
decides what is shown and notified, it never deletes.
"""

from __future__ import annotations

from dataclasses import dataclass

from postdesk.mail.forwarded import split_forwarded
from postdesk.mail.parsed import Attachment
from postdesk.mail.reply import extract_reply

#: The name under which a forwarded block is kept with its message.
FORWARDED_NAME = "forwarded.txt"
FORWARDED_NOTE = "the forwarded mail, kept from the text of the customer's mail"


@dataclass(frozen=True)
class ShownText:
    text: str
    #: Nothing new was found in a follow-up: ``text`` is its whole text.
    whole: bool = False
    #: The forwarded block kept beside ``text`` ("" when the mail forwards nothing).
    forwarded: str = ""

    def parts(self) -> tuple[Attachment, ...]:
        """The forwarded block as a part of the message, when there is one."""
        if not self.forwarded:
            return ()
        return (Attachment(filename=FORWARDED_NAME, content_type="text/plain",
                           data=self.forwarded.encode("utf-8"), content_id=None, inline=False,
                           note=FORWARDED_NOTE),)


def shown_text(text: str, html: str | None, subject: str, *, follow_up: bool) -> ShownText:
    """What of a mail with this text (and HTML) people read; see the module's docstring."""
    forward = split_forwarded(text, subject)
    if forward is not None and forward.own_text.strip():
        own = extract_reply(forward.own_text).new_text if follow_up else forward.own_text
        return ShownText(own or forward.own_text, forwarded=forward.forwarded)
    if not follow_up:
        return ShownText(text)
    reply = extract_reply(text, html=None if text.strip() else html)
    return ShownText(reply.new_text, whole=reply.whole_text)
