"""Robot mail that headers alone do not give away: delivery-delay warnings, challenge-response
requests, mailing-list moderation notices and auto-replies known only by their subject.

These are the kinds that used to slip past ``classify`` and get an acknowledgment or a
ticket. Each is recognised by a subject pattern or a short body phrase that a person
writing to a help desk does not use; a customer's "my parcel was undeliverable" or
"please confirm my order" matches none of them (see the traps in
tests/unit/test_robot_notices.py). Every pattern sees a bounded text, so the cost stays
linear in the mail's size.

Pure: no I/O.
"""

from __future__ import annotations

import re

#: How much of a body the phrase patterns read: the robot's own words come first.
BODY_WINDOW = 4000

# "Delivery delayed", "Warning: could not send message for past 4 hours", the
# "(Delay)" Gmail/Zoho/Exchange subjects, and their translations.
_DELAY_SUBJECT = re.compile(
    r"\(delay\)|delivery (?:status notification )?\(?delay|delayed mail|mail delayed"
    r"|message delayed|delivery (?:has been )?delayed|warning: (?:could not send|message)"
    r"|still (?:being )?(?:retried|trying)|not yet been delivered|delivery warning"
    r"|verzögert|zustellung verzögert|retard(?:é|e) de remise|remise diff[ée]r[ée]e"
    r"|entrega retrasada|retrasad[oa]|consegna ritardata|ritardat[oa]|vertraagd"
    r"|opóźni|dostarczenie opóźnione|fördröj|forsinket|задерж|затрим",
    re.IGNORECASE,
)
_DELAY_BODY = re.compile(
    r"will (?:continue|keep) (?:trying|to try)|will (?:be )?retr(?:y|ied)|still trying"
    r"|this is (?:only )?a warning|no action is required|delivery is delayed"
    r"|has been delayed|not yet been delivered|is being retried",
    re.IGNORECASE,
)

# Challenge-response ("please confirm you are human") and the products that send it.
_CHALLENGE_SUBJECT = re.compile(
    r"please confirm|confirm (?:your|that you)|verif(?:y|ication)|challenge|approval"
    r"|spam ?arrest|boxtrapper|awaiting (?:your )?confirmation|sender (?:verification|validation)"
    r"|bestätig|potwierd|confirme[rz]?|conferm|bevestig|подтвер",
    re.IGNORECASE,
)
_CHALLENGE_BODY = re.compile(
    r"(?:confirm|verify|prove) (?:that )?you(?:'re| are) (?:a )?"
    r"(?:human|real person|not a (?:ro)?bot|a person)"
    r"|(?:add|added|put) (?:you )?to (?:my|the|our)"
    r" (?:white ?list|approved senders|allow ?list|list of approved)"
    r"|anti-?spam (?:system|protection|verification|filter)"
    r" (?:requires|has held|is holding)|spam ?arrest|boxtrapper|mailblocks|choicemail"
    r"|sender verification|your (?:message|e-?mail) (?:is|has been|will be)"
    r" (?:held|kept|quarantined) (?:until|pending)"
    r"|click (?:on )?the (?:link|button) below to (?:confirm|verify) (?:that )?you",
    re.IGNORECASE,
)
_CHALLENGE_HEADERS = ("X-Boxtrapper", "X-Spam-Arrest", "X-Challenge", "X-ChoiceMail",
                      "X-Mailblocks")

# Old Hotmail/MSN complaint reports, sent without an ARF part.
_COMPLAINT_SUBJECT = re.compile(r"^\s*complaint about message from\s", re.IGNORECASE)

# Mailing-list managers answering a post: moderation, non-member, loop alerts.
_LIST_NOTICE_SUBJECT = re.compile(
    r"awaits? moderator(?:'s)? approval|held for moderation|(?:needs|requires) (?:moderator )?"
    r"approval|post(?:ing)? to .{1,80} (?:requires|needs) approval|pending moderation"
    r"|message (?:has been )?(?:held|rejected) by (?:the )?(?:list|moderator)"
    r"|are not (?:a )?member|not a member of|loop alert|non-?member (?:submission|post)"
    r"|uncaught bounce notification|your message to .{1,80} (?:was rejected|is being held)",
    re.IGNORECASE,
)

# Auto-replies that only their subject gives away (no Auto-Submitted header).
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto:\s|auto-?reply\b|autoresponder\b|\[auto"
    r"|thanks? (?:you )?for (?:your (?:e-?mail|message|mail|inquiry|enquiry)|contacting|writing)"
    r"|we(?: have|'ve)? received your (?:e-?mail|message|request)"
    r"|(?:i am|i'm) (?:currently )?(?:out of (?:the )?office|away|on (?:leave|holiday|vacation))"
    r"|.{1,80} is out of the office|abwesenheits?(?:notiz|nachricht|meldung|assistent)"
    r"|nicht im büro|fuera de (?:la )?oficina|absen(?:ce|t) du bureau|poza biurem"
    r"|nieobecność w (?:pracy|biurze)|odpowied[źz] automatyczna"
    r"|fuori (?:sede|ufficio)|fora do escrit[óo]rio|afwezig|niet aanwezig|frånvar|autosvar"
    r"|автоответ|автоматический ответ|нет на месте|в отпуске|автоматична відповідь"
    r"|自动回复|自動回覆|自動回复|自動応答|不在(?:通知|のお知らせ))",
    re.IGNORECASE,
)

# Bounce words beyond English, for the failure text of mail from a mailer-daemon or
# postmaster (de, fr, es, it, pt, nl, pl, sv, ru, uk, ja, zh).
FOREIGN_FAILURE_TEXT = re.compile(
    r"unzustellbar|nicht zugestellt|konnte nicht (?:zugestellt|übermittelt)"
    r"|non remis|n'a pas (?:pu )?être (?:remis|distribué|délivré)|échec de (?:la )?remise"
    r"|no se (?:pudo|ha podido|puede) entregar|no entregad|non (?:è stato )?recapitat"
    r"|impossibile recapitare|não (?:foi possível )?entreg|onbestelbaar|niet (?:worden )?afgeleverd"
    r"|nie (?:można|mogła|może) (?:zostać )?dostarcz|niedostarcz|kunde inte levereras"
    r"|не (?:может быть |удалось )?доставлен|недоставлен|не вдалося доставити|не доставлено"
    r"|配信(?:でき|エラー|失敗)|送信できません|エラー|届きません|退信|无法投递|未能送达|投递失败"
    r"|無法傳遞|傳送失敗|發送失敗|系统退信",
    re.IGNORECASE,
)


def is_delay_warning(subject: str, body: str) -> bool:
    """A delivery-delay warning: the mail is still being retried, the address may be fine.

    ``body`` is read only by the caller's choice: a DSN says "delayed" per recipient
    with a 4.x.x status already, so only free-text bounces need their words read.
    """
    return bool(_DELAY_SUBJECT.search(subject[:400])) or bool(
        body and _DELAY_BODY.search(body[:BODY_WINDOW]))


# Words one of whose presence the subject patterns need: a substring test is ten times
# cheaper than the patterns, and almost every customer's subject has none of them.
_CHALLENGE_WORDS = ("confirm", "verif", "challenge", "approval", "spam", "boxtrapper",
                    "validation", "bestätig", "potwierd", "conferm", "bevestig", "подтвер")
_LIST_NOTICE_WORDS = ("moderat", "approval", "member", "loop alert", "bounce", "held",
                      "rejected")


def _mentions(subject: str, words: tuple[str, ...]) -> bool:
    low = subject[:400].lower()
    return any(word in low for word in words)


def challenge_subject(subject: str) -> bool:
    """A subject a challenge-response request may carry: worth reading the body for."""
    return _mentions(subject, _CHALLENGE_WORDS) and bool(
        _CHALLENGE_SUBJECT.search(subject[:400]))


def complaint_subject(subject: str) -> bool:
    """A complaint (feedback) report recognisable only by its subject."""
    return bool(_COMPLAINT_SUBJECT.search(subject[:400]))


def challenge_response(subject: str, body: str, header_names: set[str]) -> str | None:
    """Why this looks like a challenge-response request, or None.

    ``body`` is "" when the caller did not read it (the subject gave no hint).
    """
    for name in _CHALLENGE_HEADERS:
        if name.lower() in header_names:
            return f"challenge-response ({name})"
    if body and challenge_subject(subject):
        phrase = _CHALLENGE_BODY.search(body[:BODY_WINDOW])
        if phrase:
            return f"challenge-response: {phrase.group(0)[:60]!r}"
    return None


def list_notice(subject: str) -> str | None:
    """Why this looks like a mailing-list manager's notice about our post, or None."""
    match = _mentions(subject, _LIST_NOTICE_WORDS) and _LIST_NOTICE_SUBJECT.search(
        subject[:400])
    return f"mailing-list notice: {subject[:60]}" if match else None


def auto_reply_subject(subject: str) -> bool:
    """A subject that only an auto-responder writes."""
    return bool(_AUTO_SUBJECT.search(subject[:400]))
