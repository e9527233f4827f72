"""Amazon SES notifications (bounce, complaint, delivery), mailed by SNS as JSON."""

from __future__ import annotations

import json
from typing import Any

from postdesk.mail.bounce_parts import one_line, strip_id
from postdesk.mail.bounce_report import BouncedRecipient, BounceReport
from postdesk.mail.bounce_verdict import is_hard, status_in


def ses_notification(text: str) -> BounceReport | None:
    """Amazon SES bounce/complaint/delivery notifications mailed by SNS as JSON."""
    body = text.lstrip()
    if not body.startswith("{") or '"notificationType"' not in body[:200]:
        return None
    try:
        data, _end = json.JSONDecoder().raw_decode(body)
    except ValueError:
        try:  # SNS wraps long JSON lines; the break can fall inside a string
            data, _end = json.JSONDecoder().raw_decode(body.replace("\n", ""))
        except ValueError:
            return None
    if not isinstance(data, dict):
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
