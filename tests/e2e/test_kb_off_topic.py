"""An off-topic mail gets an acknowledgment without articles (issue 21: "none when nothing
is good enough"), over real SMTP, on both indexes, while a mail the example desk's
knowledge base answers still gets its article: a greeting and a signature ("Sent from my
iPhone", which the phone article names) decide nothing."""

from __future__ import annotations

import pytest

from mailbuild import customer_mail, mails_to, processed, send_mail, text_of, wait_for
from postdesk.store.models import Event
from postdesk.tickets import kb_offered

OFF_TOPIC = "kim@customer.example"
PASSWORD = "lee@customer.example"


@pytest.mark.parametrize("kb_index", ["memory", "database"])
def test_an_off_topic_mail_gets_no_article_and_a_password_mail_gets_its_own(
        database_url: str, make_settings, start_daemon, kb_index: str) -> None:
    daemon = start_daemon(make_settings(database_url, kb_index=kb_index))
    send_mail(daemon, customer_mail(
        sender=OFF_TOPIC, subject="Keyboard missing keys",
        body="Hi IT,\n\ntwo keys came off my keyboard this morning. Can I get a new one?\n\n"
             "Thanks,\nKim\n\nSent from my iPhone\n",
        message_id="<keyboard@customer.example>"))
    send_mail(daemon, customer_mail(
        sender=PASSWORD, subject="Password expired",
        body="Hello,\n\nmy password expired during my holiday and I cannot log in now.\n\n"
             "Kind regards,\nLee Porter\nPurchasing | Example Ltd\nMobile: +44 7700 900777\n",
        message_id="<password@customer.example>"))
    wait_for(processed(2))
    [off_topic] = wait_for(lambda: mails_to(daemon, OFF_TOPIC))
    assert "These articles may already answer" not in text_of(off_topic)
    [password] = wait_for(lambda: mails_to(daemon, PASSWORD))
    text = text_of(password)
    assert "These articles may already answer your question:" in text
    assert "1. Reset your password" in text
    suggested = list(Event.select().where(Event.kind == "kb.suggested"))
    assert {one["article"] for event in suggested for one in kb_offered.offered(event.data)
            if one["rank"] == 1} == {"password-reset"}
    assert len({event.ticket_id for event in suggested}) == 1  # the password mail's alone
