"""Bounce parsing: who failed, with which DSN status, and is it permanent.

Reads standard delivery status notifications (RFC 3464 ``message/delivery-status``),
ARF feedback reports (RFC 5965) and the plain-text bounces that Postfix, Exim,
qmail, Exchange, Gmail and friends still send. The caller (``classify``) only asks
for this when the headers already look like a bounce, so the body work here is
never done for ordinary mail.

``hard`` answers the help desk's question "is this address unusable?": unknown
user or domain, moved, disabled, no mail accepted. Policy or spam rejections,
full mailboxes, expired queues and delays are soft even with a 5.x.x status,
because the address itself may be fine. This is sisimai's ``hardbounce`` notion.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from email.message import Message

from postdesk.mail.bounce_parts import collect_parts, find_message_id, header_text
from postdesk.mail.bounce_recipients import (
    dsn_recipients,
    embedded_dsn,
    feedback_recipients,
    first_address,
    header_recipients,
    returned_recipients,
    text_recipients,
)
from postdesk.mail.bounce_report import BouncedRecipient, BounceReport
from postdesk.mail.bounce_ses import ses_notification
from postdesk.mail.bounce_verdict import is_hard

__all__ = ["BounceReport", "BouncedRecipient", "first_address", "header_text", "is_hard",
           "parse_bounce", "report_text"]


def parse_bounce(msg: Message) -> BounceReport | None:
    """Return what ``msg`` reports about failed delivery, or None if nothing was found."""
    parts = collect_parts(msg)
    original_id = parts.original_message_id or find_message_id(parts.returned_text)
    if parts.feedback_text:
        rcpts = (feedback_recipients(parts.feedback_text)
                 or returned_recipients(parts.returned_headers, ""))
        return BounceReport("feedback", rcpts, False, original_id)
    ses = ses_notification(parts.report_text)
    if ses is not None:
        return ses
    dsn_text = parts.dsn_text or embedded_dsn(parts.report_text)
    if dsn_text:
        rcpts = dsn_recipients(dsn_text, parts.report_text)
        if rcpts:
            delivered = all(r.status and r.status[0] == "2" for r in rcpts)
            return BounceReport("dsn", rcpts, delivered, original_id)
    rcpts = (text_recipients(parts.report_text, msg)
             or header_recipients(msg, parts.report_text)
             or returned_recipients(parts.returned_headers, parts.report_text))
    if rcpts or parts.dsn_text:
        return BounceReport("dsn" if parts.dsn_text else "text", rcpts, False, original_id)
    return None


def report_text(msg: Message) -> str:
    """The human-readable failure text of ``msg``, without the returned message."""
    return collect_parts(msg).report_text
