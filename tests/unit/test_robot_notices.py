"""Robots that headers do not give away, and customer mail that only looks like them."""

from __future__ import annotations

import pytest
from test_classify import mail, run

# --- kinds that must never be answered ---------------------------------------------


@pytest.mark.parametrize("subject", [
    "AUTO: Anna Kowalska is out of the office (returning 12.01.2025)",
    "Thank you for your e-mail",
    "Thank you for your message",
    "Thanks for contacting ACME support",
    "We have received your request",
    "Abwesenheitsnotiz: Ihre Anfrage",
    "Absent du bureau",
    "Poza biurem do 15 stycznia",
    "Odpowiedź automatyczna: Drukarka",
    "Fuera de la oficina",
    "Fuori ufficio",
    "Fora do escritório",
    "Afwezig tot maandag",
    "Autosvar: Skrivaren",
    "Автоответ: принтер",
    "Автоматична відповідь: принтер",
    "自动回复: 打印机",
])
def test_auto_reply_known_only_by_its_subject(subject: str) -> None:
    result = run(mail(subject=subject))
    assert (result.kind, result.may_auto_reply) == ("auto_reply", False), result.reason


@pytest.mark.parametrize("subject", [
    "Your message to support-list awaits moderator approval",
    "Post to the users list requires approval",
    "You alice@customer.example are not member (users ML)",
    "Loop Alert: Duplicated Message-ID (users ML)",
])
def test_list_moderation_notice_is_no_customer_mail(subject: str) -> None:
    result = run(mail(sender="users-owner@lists.example", subject=subject))
    assert (result.kind, result.may_auto_reply) == ("auto_reply", False)
    assert "mailing-list notice" in result.reason


@pytest.mark.parametrize(("subject", "body"), [
    ("Please confirm your message",
     "I protect my inbox from spam. Please confirm that you are human by clicking here."),
    ("Verification required",
     "Click the link below to verify that you are a real sender. Spam Arrest"),
    ("Sender verification",
     "Your message is held until you confirm. Please verify you are not a robot."),
])
def test_challenge_response_is_no_customer_mail(subject: str, body: str) -> None:
    result = run(mail(subject=subject, body=body + "\n"))
    assert (result.kind, result.may_auto_reply) == ("auto_reply", False)
    assert "challenge-response" in result.reason


def test_challenge_response_header_alone_is_enough() -> None:
    result = run(mail("X-Boxtrapper: 1\n", subject="Re: Printer broken"))
    assert result.kind == "auto_reply"


@pytest.mark.parametrize(("sender", "subject", "body"), [
    ("MAILER-DAEMON@mx.example.de", "Unzustellbar: Drucker",
     "Ihre Nachricht konnte nicht zugestellt werden.\n"),
    ("postmaster@mx.example.pl", "Wiadomość niedostarczona",
     "Nie można dostarczyć wiadomości do adresata.\n"),
    ("postmaster@mx.example.ru", "Письмо не доставлено",
     "Ваше сообщение не доставлено получателю.\n"),
    ("postmaster@mx.example.cn", "系统退信", "您发送的邮件无法投递。\n"),
])
def test_non_english_daemon_bounce(sender: str, subject: str, body: str) -> None:
    result = run(mail(sender=sender, subject=subject, body=body), envelope_from="")
    assert (result.kind, result.may_auto_reply) == ("bounce", False), result.reason


@pytest.mark.parametrize("subject", [
    "Delivery Status Notification (Delay)",
    "Warning: message 1abc delayed 24 hours",
    "Delayed Mail (still being retried)",
])
def test_delay_warning_is_a_bounce_that_marks_nobody(subject: str) -> None:
    body = ("This is an automatically generated Delivery Status Notification.\n"
            "Delivery to the following recipient has been delayed:\n\n"
            "     bob@customer.example\n\nMessage will be retried for 2 more day(s)\n"
            "550 5.1.1 user unknown\n")
    result = run(mail(sender="Mail Delivery Subsystem <mailer-daemon@mx.example>",
                      subject=subject, body=body), envelope_from="")
    assert result.kind == "bounce"
    assert "delivery warning" in result.reason
    assert not any(r.hard for r in result.bounce)


def test_mail_from_the_desks_own_address_is_a_loop() -> None:
    result = run(mail(sender="Support <Support@desk.example.org>", subject="Printer broken"),
                 envelope_from="someone@elsewhere.example")
    assert (result.kind, result.may_auto_reply) == ("loop", False)


# --- traps: customer mail that mentions the words ---------------------------------


@pytest.mark.parametrize(("subject", "body"), [
    ("Undeliverable parcel", "My parcel was undeliverable and returned to sender. "
                             "Delivery failed twice, can you help?"),
    ("Delivery failure of order 1234", "The courier says delivery has failed; "
                                       "the address does not exist in their system."),
    ("Mail delivery failed", "When I write to sales@shop.example I get 'mail delivery "
                             "failed: 550 5.1.1 user unknown'. Is the address wrong?"),
    ("Returned mail", "I returned the mail-order jacket last week, where is my refund?"),
    ("Please confirm my order", "Could you please confirm that my order 5512 shipped?"),
    ("Thank you for your help", "It works now, thank you!"),
    ("Absence request for Monday", "I need a day off on Monday."),
    ("Fwd: Undelivered Mail Returned to Sender", "Why did my mail to you bounce?"),
])
def test_customer_mail_mentioning_failures_stays_customer_mail(subject: str, body: str) -> None:
    result = run(mail(subject=subject, body=body + "\n"))
    assert (result.kind, result.may_auto_reply) == ("normal", True), result.reason


# --- Amazon SES notices in SNS's own envelope, and a person forwarding a bounce -----


def _sns_envelope(notification: str) -> str:
    """An SNS e-mail subscription's body: the notification as a JSON string, wrapped at
    76 columns the way SNS mails it (the break falls inside the string)."""
    import json

    body = json.dumps({"Type": "Notification", "MessageId": "02f8-6d9b",
                       "TopicArn": "arn:aws:sns:eu-west-1:123456789012:desk-bounces",
                       "Message": notification}, indent=2)
    return "\n".join(body[i:i + 76] for i in range(0, len(body), 76)) + "\n"


def test_an_ses_bounce_inside_an_sns_envelope_is_a_bounce_that_names_the_address() -> None:
    notice = ('{"notificationType":"Bounce","bounce":{"bounceType":"Permanent",'
              '"bouncedRecipients":[{"emailAddress":"gone@customer.example",'
              '"action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user '
              'unknown"}]},"mail":{"messageId":"0101-abc","source":"support@desk.example.org"}}')
    result = run(mail(sender="SES <no-reply@sns.amazonaws.com>",
                      subject="AWS Notification Message", body=_sns_envelope(notice)),
                 envelope_from="0101-abc@eu-west-1.amazonses.com")
    assert (result.kind, result.may_auto_reply) == ("bounce", False), result.reason
    assert [(r.email, r.status, r.hard) for r in result.bounce] == [
        ("gone@customer.example", "5.1.1", True)]


def test_an_sns_envelope_around_something_else_is_not_read_as_a_bounce() -> None:
    """A topic's ordinary message is no SES notice: nothing to mark (still never answered)."""
    result = run(mail(sender="SES <no-reply@sns.amazonaws.com>",
                      subject="AWS Notification Message",
                      body=_sns_envelope("Deployment finished")))
    assert result.bounce == ()
    assert not result.may_auto_reply


def test_a_person_forwarding_a_bounce_is_a_customer_asking_for_help() -> None:
    body = ("Forward the message. Why does my mail to kijitora bounce?\n\nBegin forwarded "
            "message:\n\n> From: Mail Delivery Subsystem <MAILER-DAEMON>\n> Subject: Returned "
            "mail: see transcript for details\n>\n>    ----- The following addresses had "
            "permanent fatal errors -----\n> <kijitora@example.com>\n>     (reason: 550 "
            "5.1.1 <kijitora@example.com>... User unknown)\n> Final-Recipient: RFC822; "
            "kijitora@example.com\n> Action: failed\n> Status: 5.1.1\n")
    result = run(mail(subject="Fwd: Returned mail: see transcript for details", body=body))
    assert (result.kind, result.may_auto_reply) == ("normal", True), result.reason


@pytest.mark.parametrize(("subject", "body"), [
    ("Out of office hours support?", "Do you answer tickets out of office hours?"),
    ("Re: my invoice", "Sorry, I was out of office last week. The invoice is still wrong."),
    ("Undeliverable", "Your shop says my address is undeliverable, but it is correct."),
    ("I am out of toner", "Please send two black cartridges for the HP 4050."),
    ("I'm out of licences", "We need five more seats for the new team."),
    ("Delivery failed notification from your app", "The app shows 'delivery failed' "
                                                   "for every push message since Monday."),
])
def test_more_customer_mail_with_robot_words_stays_customer_mail(subject: str, body: str) -> None:
    result = run(mail(subject=subject, body=body + "\n"))
    assert (result.kind, result.may_auto_reply) == ("normal", True), result.reason
