"""Amazon SES notifications (bounce, complaint, delivery), mailed by SNS as JSON.

SNS mails the notification either raw (``{"notificationType": ...}``) or, for an email
subscription without "raw message delivery", inside its own envelope
(``{"Type": "Notification", "TopicArn": ..., "Message": "<the notification as a JSON
string>"}``); both are read.
"""

from __future__ import annotations

import json
from typing import Any

from postdesk.mail.bounce_parts import one_line, strip_id
from postdesk.mail.bounce_report import BouncedRecipient, BounceReport
from postdesk.mail.bounce_verdict import is_hard, status_in


def ses_notification(text: str) -> BounceReport | None:
    """Amazon SES bounce/complaint/delivery notifications mailed by SNS as JSON."""
    body = text.lstrip()
    head = body[:400]
    if not body.startswith("{") or not ('"notificationType"' in head or (
            '"Type"' in head and '"TopicArn"' in head)):
        return None
    data = _json_object(body)
    if data is not None and isinstance(data.get("Message"), str) and "TopicArn" in data:
        data = _json_object(data["Message"].lstrip())  # the SNS envelope's payload
    if data is None:
        return None
    kind = str(data.get("notificationType", "")).lower()
    section: dict[str, Any] = data[kind] if isinstance(data.get(kind), dict) else {}
    mail: dict[str, Any] = data["mail"] if isinstance(data.get("mail"), dict) else {}
    original = strip_id(str(mail.get("messageId", ""))) if mail else None
    if kind == "complaint":
        entries, hard_kind = section.get("complainedRecipients", []), "feedback"
    elif kind == "delivery":
        found = [BouncedRecipient(str(a).lower(), "2.0.0", False,
                                  one_line(str(section.get("smtpResponse", ""))))
                 for a in section.get("recipients", [])]
        return BounceReport("dsn", tuple(found), True, original)
    else:
        entries, hard_kind = section.get("bouncedRecipients", []), "dsn"
    rcpts = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and "@" in str(entry.get("emailAddress", "")):
            diag = one_line(str(entry.get("diagnosticCode", "")))
            status = str(entry.get("status") or "") or status_in(diag)
            hard = hard_kind == "dsn" and is_hard(status, diag)
            rcpts.append(BouncedRecipient(str(entry["emailAddress"]).lower(), status or None,
                                          hard, diag[:300]))
    return BounceReport("feedback" if kind == "complaint" else "dsn", tuple(rcpts), False,
                        original)


def _json_object(text: str) -> dict[str, Any] | None:
    """The JSON object ``text`` begins with, or None."""
    try:
        data, _end = json.JSONDecoder().raw_decode(text)
    except ValueError:
        try:  # SNS wraps long JSON lines; the break can fall inside a string
            data, _end = json.JSONDecoder().raw_decode(text.replace("\n", ""))
        except ValueError:
            return None
    return data if isinstance(data, dict) else None
