"""Loop, bounce and auto-reply safety on mails built in the test."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from postdesk.mail.classify import Classification, DeskIdentity, classify

DESK = DeskIdentity(
    domains=frozenset({"desk.example.org"}),
    loop_header="X-Postdesk-Loop",
    loop_value="desk-7f3a",
    addresses=frozenset({"support@desk.example.org"}),
)


def parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def mail(extra_headers: str = "", body: str = "Hello, my printer is broken.\n",
         sender: str = "Alice <alice@customer.example>",
         subject: str = "Printer broken") -> EmailMessage:
    raw = (
        f"From: {sender}\nTo: support@desk.example.org\nSubject: {subject}\n"
        "Message-ID: <abc123@customer.example>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n"
        f"{extra_headers}\n{body}"
    )
    return parse(raw.encode())


def run(msg: EmailMessage, envelope_from: str | None = "alice@customer.example") -> Classification:
    return classify(msg, envelope_from=envelope_from, desk=DESK)


def test_normal_mail_may_be_answered() -> None:
    result = run(mail())
    assert (result.kind, result.may_auto_reply) == ("normal", True)


@pytest.mark.parametrize("value", ["auto-replied", "Auto-Replied", "auto-generated",
                                   "auto-notified", "auto-replied; owner-email=x@y.example"])
def test_auto_submitted_is_auto_reply(value: str) -> None:
    result = run(mail(f"Auto-Submitted: {value}\n"))
    assert result.kind == "auto_reply"
    assert not result.may_auto_reply
    assert "Auto-Submitted" in result.reason


def test_auto_submitted_no_is_normal() -> None:
    assert run(mail("Auto-Submitted: no\n")).may_auto_reply


def test_auto_forwarded_is_normal_but_never_answered() -> None:
    result = run(mail("Auto-Submitted: auto-forwarded\n"))
    assert (result.kind, result.may_auto_reply) == ("normal", False)
    assert "auto-forwarded" in result.reason


@pytest.mark.parametrize("header", ["X-Autoreply: yes", "X-Autorespond: vacation",
                                    "X-Auto-Response-Suppress: All"])
def test_x_auto_headers_are_auto_reply(header: str) -> None:
    result = run(mail(header + "\n"))
    assert (result.kind, result.may_auto_reply) == ("auto_reply", False)
    assert header.split(":")[0] in result.reason


@pytest.mark.parametrize("subject", ["Out of Office: Printer broken", "Automatic reply: hi",
                                     "Autoreply: hi", "Abwesenheitsnotiz: Drucker",
                                     "Automatyczna odpowiedź: drukarka",
                                     "Réponse automatique : imprimante"])
def test_out_of_office_subjects_are_auto_reply(subject: str) -> None:
    result = run(mail(subject=subject))
    assert result.kind == "auto_reply"
    assert "Subject" in result.reason


def test_auto_reply_names_the_message_it_answers() -> None:
    msg = mail("Auto-Submitted: auto-replied\nIn-Reply-To: <t42.x@desk.example.org>\n",
               subject="Out of Office")
    assert run(msg).original_message_id == "t42.x@desk.example.org"


@pytest.mark.parametrize("header,reason", [
    ("Precedence: bulk", "Precedence: bulk"),
    ("Precedence: junk", "Precedence: junk"),
    ("Precedence: list", "Precedence: list"),
    ("List-Id: <news.lists.example>", "List-Id"),
    ("List-Unsubscribe: <mailto:leave@lists.example>", "List-Unsubscribe"),
])
def test_bulk_headers(header: str, reason: str) -> None:
    result = run(mail(header + "\n"))
    assert (result.kind, result.may_auto_reply) == ("bulk", False)
    assert reason in result.reason


def test_our_loop_header_is_a_loop() -> None:
    result = run(mail("X-Postdesk-Loop: desk-7f3a\n"))
    assert (result.kind, result.may_auto_reply) == ("loop", False)
    assert "X-Postdesk-Loop" in result.reason


def test_another_desks_loop_header_is_not_our_loop() -> None:
    assert run(mail("X-Postdesk-Loop: other-desk\n")).kind == "normal"


def test_our_message_id_and_address_is_a_loop() -> None:
    raw = mail(sender="support@desk.example.org")
    del raw["Message-ID"]
    raw["Message-ID"] = "<t1.abc@desk.example.org>"
    assert run(raw).kind == "loop"


def test_loop_wins_over_auto_reply_and_bulk() -> None:
    msg = mail("X-Postdesk-Loop: desk-7f3a\nAuto-Submitted: auto-replied\nPrecedence: bulk\n")
    assert run(msg).kind == "loop"


def test_auto_reply_wins_over_bulk() -> None:
    assert run(mail("Auto-Submitted: auto-replied\nList-Id: <x.example>\n")).kind == "auto_reply"


def test_empty_return_path_is_never_answered() -> None:
    result = run(mail(), envelope_from="")
    assert (result.kind, result.may_auto_reply) == ("normal", False)
    assert result.reason == "empty return path"


def test_return_path_header_used_without_envelope() -> None:
    assert not run(mail("Return-Path: <>\n"), envelope_from=None).may_auto_reply
    assert run(mail("Return-Path: <alice@customer.example>\n"), envelope_from=None).may_auto_reply


@pytest.mark.parametrize("local", ["noreply", "No-Reply", "do-not-reply", "donotreply",
                                   "postmaster"])
def test_robot_senders_are_never_answered(local: str) -> None:
    result = run(mail(sender=f"{local}@shop.example"), envelope_from=f"{local}@shop.example")
    assert not result.may_auto_reply
    assert result.kind == "normal"


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@shop.example", "mailer-daemon\\@shop.example",
                                    '"MAILER-DAEMON"@shop.example'])
def test_mailer_daemon_is_a_bounce_whatever_it_says(sender: str) -> None:
    # No person writes from mailer-daemon: a notice in words we do not know is
    # still a bounce, never a ticket.
    result = run(mail(sender=sender, subject="Notificación", body="Su mensaje ...\n"),
                 envelope_from="")
    assert (result.kind, result.may_auto_reply) == ("bounce", False)


DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>
To: support@desk.example.org
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce1@mx.customer.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<bob@customer.example>: host mx said: 550 5.1.1 User unknown

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example

Final-Recipient: rfc822; bob@customer.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <bob@customer.example>: Recipient address rejected:
    User unknown in local recipient table

Final-Recipient: rfc822; carol@customer.example
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full

--B
Content-Type: message/rfc822

From: support@desk.example.org
To: bob@customer.example
Subject: [#42] Your printer
Message-ID: <t42.r1@desk.example.org>

Hello Bob
--B--
"""


def test_dsn_lists_failed_recipients_with_status_and_hardness() -> None:
    result = run(parse(DSN), envelope_from="")
    assert (result.kind, result.may_auto_reply) == ("bounce", False)
    by_email = {r.email: r for r in result.bounce}
    assert by_email["bob@customer.example"].status == "5.1.1"
    assert by_email["bob@customer.example"].hard
    assert "User unknown" in by_email["bob@customer.example"].diagnostic
    assert by_email["carol@customer.example"].status == "4.2.2"
    assert not by_email["carol@customer.example"].hard
    assert result.original_message_id == "t42.r1@desk.example.org"
    assert "5.1.1 for bob@customer.example" in result.reason


def test_delivered_only_dsn_has_no_hard_recipient() -> None:
    raw = DSN.replace(b"Action: failed\nStatus: 5.1.1", b"Action: delivered\nStatus: 2.0.0")
    raw = raw.replace(b"Action: delayed\nStatus: 4.2.2", b"Action: relayed\nStatus: 2.0.0")
    result = run(parse(raw))
    assert result.kind == "bounce"
    assert result.bounce and not any(r.hard for r in result.bounce)


POSTFIX_PLAIN = b"""From: MAILER-DAEMON@mx.customer.example (Mail Delivery System)
To: support@desk.example.org
Subject: Undelivered Mail Returned to Sender
Content-Type: text/plain

This is the mail system at host mx.customer.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<dave@customer.example>: host mail.customer.example[192.0.2.1] said: 550 5.1.1
    <dave@customer.example>: Recipient address rejected: User unknown (in reply
    to RCPT TO command)

--- Below this line is a copy of the message.

Return-Path: <support@desk.example.org>
From: support@desk.example.org
To: dave@customer.example
Message-ID: <t7.r2@desk.example.org>
Subject: [#7] Hello

Hi Dave
"""


def test_plain_text_postfix_bounce() -> None:
    result = run(parse(POSTFIX_PLAIN), envelope_from="")
    assert result.kind == "bounce"
    assert [(r.email, r.status, r.hard) for r in result.bounce] == [
        ("dave@customer.example", "5.1.1", True)]
    assert result.original_message_id == "t7.r2@desk.example.org"


def test_mailbox_full_plain_bounce_is_soft() -> None:
    raw = POSTFIX_PLAIN.replace(b"550 5.1.1", b"552 5.2.2").replace(
        b"Recipient address rejected: User unknown", b"Mailbox full, over quota")
    (recipient,) = run(parse(raw)).bounce
    assert (recipient.status, recipient.hard) == ("5.2.2", False)


def test_arf_feedback_report_is_a_soft_bounce() -> None:
    raw = b"""From: feedback@isp.example
To: support@desk.example.org
Subject: Abuse report
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an email abuse report.
--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: Example/1.0
Version: 1
Original-Rcpt-To: <erin@isp.example>

--F--
"""
    result = run(parse(raw))
    assert (result.kind, result.may_auto_reply) == ("bounce", False)
    assert "feedback report" in result.reason
    assert [(r.email, r.hard) for r in result.bounce] == [("erin@isp.example", False)]


def test_vacation_from_empty_return_path_is_not_a_bounce() -> None:
    msg = mail("Auto-Submitted: auto-replied\n", subject="Away until Monday",
               body="I am on vacation and will not read mail.\n")
    assert run(msg, envelope_from="").kind == "auto_reply"


def test_customer_writing_about_failures_is_normal() -> None:
    msg = mail(body="Delivery failed: 550 user unknown when I mail my colleague.\n",
               subject="Cannot email colleague")
    assert run(msg).kind == "normal"


@pytest.mark.parametrize("raw", [
    b"",
    b"\x00\xff\xfe garbage \x00",
    b"From: <<<@@@>>>\nSubject: =?bogus?Q?=ZZ?=\nMessage-ID: <<<>>\n"
    b"Content-Type: multipart/report; boundary=\n\n--\n",
    b"To: \"unterminated\nAuto-Submitted: \x00\nContent-Type: message/delivery-status\n\n"
    b"Final-Recipient: rfc822\nStatus: 9.9\n",
    b"Content-Type: multipart/mixed; boundary=X\n\n--X\nContent-Type: message/rfc822\n\n--X--\n",
])
def test_garbage_never_raises(raw: bytes) -> None:
    result = classify(parse(raw), envelope_from=None, desk=DESK)
    assert result.kind in ("normal", "auto_reply", "bounce", "bulk", "loop")


@pytest.mark.parametrize("filler", [">" * 20_000, "> " * 10_000, "'" * 20_000, "-" * 20_000,
                                    "a" * 20_000, "a." * 10_000, "1." * 10_000])
def test_a_bounce_with_a_huge_line_is_still_read_right(filler: str) -> None:
    """Such a line once took each bounce pattern quadratic time (44 s of CPU for 40,000
    '>'s); the bounce must still be read as before: the recipient, the status, and the
    returned message's id after the copy marker."""
    raw = POSTFIX_PLAIN.replace(b"be delivered to one or more recipients. It's attached below.\n",
                                b"be delivered to one or more recipients. It's attached below.\n"
                                + filler.encode() + b"\n")
    result = run(parse(raw), envelope_from="")
    assert result.kind == "bounce"
    assert [(r.email, r.status, r.hard) for r in result.bounce] == [
        ("dave@customer.example", "5.1.1", True)]
    assert result.original_message_id == "t7.r2@desk.example.org"


def _receipt(report_type: str = "disposition-notification") -> EmailMessage:
    """A read receipt as Outlook and Thunderbird send one for a desk's mail (RFC 8098)."""
    return parse(
        b"From: Alice <alice@customer.example>\nTo: support@desk.example.org\n"
        b"Subject: Read: [#12] Printer broken\nMessage-ID: <mdn-1@customer.example>\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: multipart/report; report-type=" + report_type.encode()
        + b'; boundary="b1"\n\n--b1\nContent-Type: text/plain\n\n'
        b"Your message was displayed on the recipient's computer.\n\n--b1\n"
        b"Content-Type: message/disposition-notification\n\n"
        b"Reporting-UA: pc.customer.example; Thunderbird\n"
        b"Final-Recipient: rfc822;alice@customer.example\n"
        b"Original-Message-ID: <ack-12@desk.example.org>\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\n\n--b1--\n")


def test_a_read_receipt_is_never_answered_and_names_the_mail_it_reports_on() -> None:
    verdict = run(_receipt())
    assert verdict.kind == "auto_reply" and not verdict.may_auto_reply
    assert "read receipt" in verdict.reason
    assert verdict.original_message_id == "ack-12@desk.example.org"


def test_a_read_receipt_is_known_by_its_part_when_the_report_type_is_garbled() -> None:
    assert run(_receipt("xxxxxxxx")).kind == "auto_reply"


def test_a_customer_mail_about_read_receipts_is_a_customer_mail() -> None:
    verdict = run(mail(subject="Read receipt missing",
                       body="Your disposition-notification never arrives.\n"))
    assert verdict.kind == "normal" and verdict.may_auto_reply


def test_a_classifier_failure_sets_the_mail_aside_and_says_where_it_failed(monkeypatch) -> None:
    from postdesk.mail import classify as module

    def broken(*args: object) -> None:
        raise ValueError("a charset nobody knows")

    monkeypatch.setattr(module, "_loop", broken)
    verdict = run(mail())
    assert verdict.kind == "suspicious" and not verdict.may_auto_reply
    assert verdict.reason.startswith("the classifier failed on this mail (ValueError at "
                                     "test_classify.py:")
