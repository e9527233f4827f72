"""Loop, bounce and auto-reply safety: what kind of mail is this, and may we answer it?

Every inbound mail gets one ``Classification``. The kinds, strongest first:

``loop``
    Our own mail came back: our loop header carries this desk's value, or the
    Message-ID is in one of our domains and the From is one of our addresses
    (or any loop header is present).
``bounce``
    A delivery status notification (RFC 3464), an ARF feedback report (RFC 5965)
    or one of the plain-text bounces MTAs still send. Failed recipients, their
    DSN status and hard/soft come in ``bounce``; delivered/relayed-only reports
    are bounces with no hard recipient. A bounce never opens a ticket.
``auto_reply``
    ``Auto-Submitted`` other than ``no`` (``auto-forwarded`` excepted),
    ``X-Autoreply``, ``X-Autorespond``, ``X-Auto-Response-Suppress``,
    ``Precedence: auto_reply`` or an out-of-office subject. Never changes a
    ticket's status.
``bulk``
    ``Precedence: bulk/junk/list``, ``List-Id`` or ``List-Unsubscribe``. The
    caller may still open a ticket.
``normal``
    Everything else.
``suspicious``
    The classifier itself failed on the mail: it is stored and set aside, never
    answered nor taken for a customer's mail (it may be a bounce).

``may_auto_reply`` is False for every kind but ``normal``, and also for normal
mail that is ``Auto-Submitted: auto-forwarded``, has an empty return path, or
comes from mailer-daemon, postmaster, noreply and similar senders (RFC 3834).
Pure and cheap: header checks first, the body is read only when headers
suggest a bounce. ``classify`` never raises.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, replace
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Literal

from postdesk.mail.bounce import (
    BouncedRecipient,
    BounceReport,
    first_address,
    header_text,
    parse_bounce,
    report_text,
)
from postdesk.mail.robot_notices import (
    BODY_WINDOW,
    FOREIGN_FAILURE_TEXT,
    auto_reply_subject,
    challenge_response,
    challenge_subject,
    complaint_subject,
    is_delay_warning,
    list_notice,
)

__all__ = ["BouncedRecipient", "Classification", "DeskIdentity", "Kind", "classify"]

Kind = Literal["normal", "auto_reply", "bounce", "bulk", "loop", "suspicious"]

_NO_REPLY_LOCAL = re.compile(
    r"^(?:mailer[-_]?daemon|mail[-_]daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply"
    r"|no[-_.]?reply[-_+.].*|bounces?(?:[-+].*)?)$",
    re.IGNORECASE,
)
_DAEMON_LOCAL = re.compile(r"^(?:mailer[-_]?daemon|mail[-_]daemon|post[-_]?master)$", re.I)
# Never a person: a mail from here is a bounce even when its words are not understood.
_MAILER_DAEMON_LOCAL = re.compile(r"^(?:mailer[-_]?daemon|mail[-_]daemon)$", re.I)
# Quoting and escapes that broken MTAs leave in the local part ("MAILER-DAEMON\\@host").
_LOCAL_NOISE = re.compile(r"[\\\"']")
_DAEMON_NAME = re.compile(
    r"mail delivery (?:system|subsystem|service)|mailer[- ]daemon|postmaster"
    r"|mail administrator|delivery status|returned mail|mail system|message delivery",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:undeliver|undelivered mail|mail delivery failed|delivery status notification"
    r"|delivery (?:failure|notification|failed|has failed|report)|failure notice"
    r"|returned mail|return(?:ed)? to sender|non[- ]?delivery|mail (?:system )?error"
    r"|message (?:delivery|not delivered|could not be delivered|you sent .*blocked)"
    r"|could not send|delivery incomplete|warning: could not send|mail failure"
    r"|nondeliverable|unzustellbar|non remis|no se puede entregar|onbestelbaar"
    r"|notification d'?.tat de remise|rejected:|delayed mail|mail could not be delivered"
    r"|mail failed|warning:)",
    re.IGNORECASE,
)
_FAILURE_TEXT = re.compile(
    r"could not be delivered|couldn't be delivered|was not delivered|not be delivered"
    r"|delivery (?:to the following .{0,40})?(?:has )?failed|undeliverable|undelivered"
    r"|wasn't able to deliver|unable to deliver|permanent (?:error|failure|fatal)"
    r"|did not reach|returned to (?:the )?sender|user unknown|no such user|rejected"
    r"|delivery status notification|failed permanently|message not delivered|bounced?"
    r"|could not deliver|delayed|delivery attempts? |giving up|retry timeout"
    r"|mailbox (?:is )?full|does not exist|not found|errors? (?:occurred|occured)"
    r"|SMTP error|\bfail(?:ed|ure)\b|deferred|timed out|cannot send|can't send|unknown host"
    r"|no valid recipients|\b5\d\d[ -]\d?\.?\d|\b5\.\d{1,3}\.\d{1,3}\b",
    re.IGNORECASE,
)
_AUTO_REPLY_SUBJECT = re.compile(
    # "out of office hours" and "I am out of toner" are what customers write.
    r"^\s*(?:\[?(?:out of (?:the )?office(?![- ]hours?\b)|automatic reply"
    r"|auto(?:matic)?[- ]?(?:reply|response)"
    r"|autoreply|autoresponse|abwesenheitsnotiz|automatische antwort|automatyczna odpowied\w*"
    r"|r.ponse automatique|respuesta autom.tica|risposta automatica|resposta autom.tica"
    r"|automatisch antwoord|autosvar|automaattinen vastaus|on vacation|vacation reply"
    r"|away from (?:the )?office|i am (?:out of (?:the )?office|away))\b)",
    re.IGNORECASE,
)
_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress",
                 "X-Autogenerated", "X-AutoReply-From", "X-Mail-Autoreply")
_REPORT_PARTS = frozenset({"message/delivery-status", "message/feedback-report",
                           "message/global-delivery-status"})
# A read receipt (RFC 8098 message disposition notification): automatic, never answered.
_RECEIPT_PARTS = frozenset({"message/disposition-notification",
                            "message/global-disposition-notification"})
_ORIGINAL_MESSAGE_ID = re.compile(r"^Original-Message-ID:\s*<([^<>\s]+@[^<>\s]+)>",
                                  re.IGNORECASE | re.MULTILINE)
# How much of a disposition-notification part is searched for the answered Message-ID.
_RECEIPT_WINDOW = 4000
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})


@dataclass(frozen=True)
class Classification:
    """The kind of an inbound mail and whether RFC 3834 lets us answer it automatically."""

    kind: Kind
    reason: str
    may_auto_reply: bool
    bounce: tuple[BouncedRecipient, ...] = ()
    original_message_id: str | None = None


#: Header that marks mail sent by a Postdesk desk (loop detection).
LOOP_HEADER = "X-Postdesk-Loop"


@dataclass(frozen=True)
class DeskIdentity:
    """What identifies mail this desk sent itself."""

    domains: frozenset[str]
    loop_header: str
    loop_value: str
    addresses: frozenset[str]


def classify(msg: EmailMessage, *, envelope_from: str | None,
             desk: DeskIdentity) -> Classification:
    """Classify ``msg``; ``envelope_from`` "" is an empty return path, None unknown."""
    try:
        return _classify(msg, envelope_from, desk)
    except Exception as exc:
        # It may be a bounce the classifier choked on: never a customer's mail, never
        # answered; stored and set aside for a person (the `suspicious` receive step).
        # Where it failed goes into the reason: each such failure is a defect to trace.
        return Classification(
            "suspicious", f"the classifier failed on this mail ({type(exc).__name__} at "
                          f"{_where(exc)})", False)


def _where(exc: Exception) -> str:
    """`file.py:line` of the innermost frame that raised `exc`."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"


def _classify(msg: Message, envelope_from: str | None, desk: DeskIdentity) -> Classification:
    sender = first_address(header_text(msg, "From")) or ""
    return_path = _return_path(msg, envelope_from)
    return (
        _loop(msg, sender, desk)
        or _bounce(msg, sender, return_path, desk)
        or _auto_reply(msg, desk)
        or _bulk(msg)
        or _restricted_normal(msg, sender, return_path)
        or Classification("normal", "ordinary mail", True)
    )


def _return_path(msg: Message, envelope_from: str | None) -> str | None:
    """The return path, "" when empty, None when unknown."""
    if envelope_from is not None:
        return envelope_from.strip().strip("<>").strip().lower()
    value = header_text(msg, "Return-Path")
    if not value:
        return None
    return first_address(value) or ""


def _loop(msg: Message, sender: str, desk: DeskIdentity) -> Classification | None:
    if sender and sender.lower() in desk.addresses:
        # Mail "from" the support address is ours coming back (or a forgery of it):
        # answering it would mail the desk itself, the start of a loop.
        return Classification("loop", f"loop: From is the desk's own address {sender}", False)
    loop_values = [v.strip().lower() for v in header_text(msg, desk.loop_header).split(",")]
    if desk.loop_value.strip().lower() in loop_values:
        return Classification("loop", f"our own loop header {desk.loop_header}", False)
    domain = _domain(header_text(msg, "Message-ID").strip().strip("<>"))
    if domain and domain in desk.domains:
        if sender in desk.addresses:
            return Classification(
                "loop", f"Message-ID in our domain {domain} and From {sender}", False)
        if any(loop_values):
            return Classification(
                "loop", f"Message-ID in our domain {domain} and {desk.loop_header} present",
                False)
    return None


def _bounce(msg: Message, sender: str, return_path: str | None,
            desk: DeskIdentity) -> Classification | None:
    ctype = msg.get_content_type()
    report_type = str(msg.get_param("report-type", "") or "").lower()
    subject = header_text(msg, "Subject")
    local = _LOCAL_NOISE.sub("", sender.rsplit("@", 1)[0])
    from_daemon = _is_daemon(sender, header_text(msg, "From"))
    subject_says = bool(_BOUNCE_SUBJECT.search(subject)) or (
        bool(_NO_REPLY_LOCAL.match(local)) and bool(FOREIGN_FAILURE_TEXT.search(subject[:400])))
    failed_header = bool(header_text(msg, "X-Failed-Recipients"))
    ses = sender.endswith("amazonaws.com") and subject.startswith("AWS Notification")
    structural = (ctype == "multipart/report" or failed_header or return_path == ""
                  or ses or _has_part(msg, _REPORT_PARTS))
    if complaint_subject(subject) and not structural:
        return Classification("bounce", f"feedback report, Subject: {subject[:60]}", False)
    if not (structural or from_daemon or subject_says):
        return None
    report = parse_bounce(msg)
    # Subject words alone ("Undeliverable parcel") are what customers write too: free
    # text is a bounce only from a daemon, from an empty return path, or with the
    # failed recipients a report names.
    robot_sender = from_daemon or return_path == ""
    says_failure = robot_sender and (
        bool(_MAILER_DAEMON_LOCAL.match(local)) or subject_says
        or _failure_text(report_text(msg)))
    if report is None:
        if not says_failure:
            return None
        report = BounceReport("text", (), False, None)
    elif report.kind == "text" and not (failed_header or says_failure or (
            # A customer pasting "550 5.1.1 user unknown" writes one text part; an MTA
            # returns the message beside its report.
            subject_says and report.recipients and msg.is_multipart())):
        return None
    return _soften_delay(_bounce_result(report, subject, sender, report_type), msg, report)


def _failure_text(text: str) -> bool:
    """Words of a delivery failure, in English or another language."""
    return bool(_FAILURE_TEXT.search(text) or FOREIGN_FAILURE_TEXT.search(text))


#: How the reason of a delivery-delay warning begins (`is_delay`).
DELAY_WARNING = "delivery warning (delayed)"


def is_delay(verdict: Classification) -> bool:
    """A bounce that only says the mail is late: nobody failed yet."""
    return verdict.kind == "bounce" and verdict.reason.startswith(DELAY_WARNING)


def _soften_delay(verdict: Classification, msg: Message, report: BounceReport) -> Classification:
    """A delivery-delay warning marks nobody as bouncing: the mail is still being retried."""
    body = report_text(msg) if report.kind == "text" else ""
    if not is_delay_warning(header_text(msg, "Subject"), body):
        return verdict
    return replace(verdict, reason=f"{DELAY_WARNING}: {verdict.reason}",
                   bounce=tuple(replace(r, hard=False) for r in verdict.bounce))


def _bounce_result(report: BounceReport, subject: str, sender: str,
                   report_type: str = "") -> Classification:
    rcpts = report.recipients
    if report.kind == "feedback" or report_type == "feedback-report":
        return Classification("bounce", "feedback report (ARF abuse/complaint)", False, rcpts,
                              report.original_message_id)
    first = rcpts[0] if rcpts else None
    detail = f" ({first.status or 'no status'} for {first.email}" if first else ""
    if first:
        detail += f", +{len(rcpts) - 1} more)" if len(rcpts) > 1 else ")"
    if report.kind == "dsn":
        what = "delivery report, delivered" if report.delivered_only else (
            "delivery status notification")
    elif subject and _BOUNCE_SUBJECT.search(subject):
        what = f"bounce, Subject: {subject[:60]}"
    else:
        what = f"bounce from sender {sender or 'with empty return path'}"
    return Classification("bounce", what + detail, False, rcpts, report.original_message_id)


def _is_daemon(sender: str, from_value: str) -> bool:
    """A From of mailer-daemon, postmaster, "Mail Delivery System" or no address at all."""
    local = _LOCAL_NOISE.sub("", sender.rsplit("@", 1)[0]) if sender else ""
    return (not sender or bool(_DAEMON_LOCAL.match(local))
            or bool(_DAEMON_NAME.search(from_value)))


def _has_part(msg: Message, types: frozenset[str]) -> bool:
    """A part of one of these types directly inside the (multipart/report or mixed) mail."""
    return _part_of(msg, types) is not None


def _part_of(msg: Message, types: frozenset[str]) -> Message | None:
    payload = msg.get_payload() if msg.is_multipart() else None
    if not isinstance(payload, list):
        return None
    return next((part for part in payload
                 if isinstance(part, Message) and part.get_content_type() in types), None)


def _read_receipt(msg: Message) -> Classification | None:
    """A read receipt: a multipart/report of type disposition-notification, or with such
    a part. It answers a mail of ours (Original-Message-ID), never asks for an answer."""
    if not msg.is_multipart():
        return None
    report_type = str(msg.get_param("report-type", "") or "").lower()
    part = _part_of(msg, _RECEIPT_PARTS)
    if part is None and report_type != "disposition-notification":
        return None
    answered = None
    if part is not None:
        found = _ORIGINAL_MESSAGE_ID.search(_part_text(part)[:_RECEIPT_WINDOW])
        answered = found.group(1) if found else None
    return Classification("auto_reply", "read receipt (message disposition notification)",
                          False, (), answered)


def _part_text(part: Message) -> str:
    """The fields of a disposition-notification part (the stdlib keeps them as headers of
    a nested message, or as text)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n".join(f"{k}: {v}" for item in payload if isinstance(item, Message)
                         for k, v in item.items())
    return payload if isinstance(payload, str) else ""


def _auto_reply(msg: Message, desk: DeskIdentity) -> Classification | None:
    receipt = _read_receipt(msg)
    if receipt is not None:
        answered = _answered_id(msg, desk)
        return receipt if answered is None else replace(receipt, original_message_id=answered)
    auto = _first_token(header_text(msg, "Auto-Submitted"))
    reason = ""
    if auto and auto not in ("no", "auto-forwarded"):
        reason = f"Auto-Submitted: {auto}"
    for name in _AUTO_HEADERS:
        if not reason and header_text(msg, name).strip():
            reason = f"{name}: {header_text(msg, name).strip()[:40]}"
    precedence = _first_token(header_text(msg, "Precedence"))
    if not reason and precedence == "auto_reply":
        reason = "Precedence: auto_reply"
    subject = header_text(msg, "Subject")
    if not reason and (_AUTO_REPLY_SUBJECT.search(subject) or auto_reply_subject(subject)):
        reason = f"Subject: {subject[:60]}"
    if not reason:
        reason = list_notice(subject) or challenge_response(
            subject, _body_text(msg, subject), {k.lower() for k in msg}) or ""
    if not reason:
        return None
    return Classification("auto_reply", reason, False, (), _answered_id(msg, desk))


def _body_text(msg: Message, subject: str) -> str:
    """The start of the readable body, read only when the subject hints at a challenge."""
    if not challenge_subject(subject):
        return ""
    try:
        part = msg.get_body(preferencelist=("plain", "html")) if isinstance(
            msg, EmailMessage) else None
        return str(part.get_content())[:BODY_WINDOW] if part is not None else ""
    except (LookupError, ValueError, AssertionError):
        return ""


def _answered_id(msg: Message, desk: DeskIdentity) -> str | None:
    """The Message-ID an auto-reply answers, preferring one of ours."""
    ids = re.findall(r"<([^<>\s]+@[^<>\s]+)>", header_text(msg, "In-Reply-To"))
    ids += reversed(re.findall(r"<([^<>\s]+@[^<>\s]+)>", header_text(msg, "References")))
    ours = [i for i in ids if _domain(i) in desk.domains]
    return (ours or ids or [None])[0]


def _bulk(msg: Message) -> Classification | None:
    precedence = _first_token(header_text(msg, "Precedence"))
    if precedence in _BULK_PRECEDENCE:
        return Classification("bulk", f"Precedence: {precedence}", False)
    for name in ("List-Id", "List-Unsubscribe"):
        if header_text(msg, name).strip():
            return Classification("bulk", f"{name} present", False)
    return None


def _restricted_normal(msg: Message, sender: str,
                       return_path: str | None) -> Classification | None:
    if _first_token(header_text(msg, "Auto-Submitted")) == "auto-forwarded":
        return Classification("normal", "Auto-Submitted: auto-forwarded", False)
    if return_path == "":
        return Classification("normal", "empty return path", False)
    for address in (return_path or "", sender):
        if address and _NO_REPLY_LOCAL.match(address.rsplit("@", 1)[0]):
            return Classification("normal", f"sender {address}", False)
    return None


def _first_token(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[1].strip().lower().rstrip(">") if "@" in address else ""
