"""Reply extraction: new text kept, quoted history and signatures removed."""

from __future__ import annotations

import pytest

from postdesk.mail.reply import Reply, extract_reply, strip_html_quotes

HISTORY = "> Hello, my printer is broken.\n> Can you help?\n"


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, 3 Jun 2024 at 10:15, Support <support@example.com> wrote:",
        "On 3 Jun 2024, at 10:15, Support Team wrote:",
        "Am 03.06.2024 um 10:15 schrieb Support <support@example.com>:",
        "W dniu 03.06.2024 o 10:15, Support <support@example.com> pisze:",
        "Dnia 3 czerwca 2024 10:15 Jan Kowalski napisał(a):",
        "Le lun. 3 juin 2024 à 10:15, Support <support@example.com> a écrit :",
        "2024-06-03 10:15 GMT+02:00 Support <support@example.com>:",
        "03.06.2024 10:15 пользователь Support <support@example.com> написал:",
    ],
)
def test_attribution_and_quote_removed(attribution: str) -> None:
    reply = extract_reply(f"It works again, thanks!\n\n{attribution}\n\n{HISTORY}")
    assert reply == Reply(new_text="It works again, thanks!", signature="", quoted=True)


def test_attribution_wrapped_over_lines() -> None:
    body = (
        "Done.\n\nOn Tue, Sep 25, 2012 at 8:59 AM, Chris Wanstrath\n"
        "<notifications@example.com>wrote:\n\n> Steps 0-2 are in prod.\n"
    )
    assert extract_reply(body).new_text == "Done."


def test_greeting_above_attribution_is_kept() -> None:
    body = "Hi,\nOn Tue, 2011-03-01 at 18:02 +0530, Ann wrote:\n> question\n\nAnswer.\n"
    assert extract_reply(body).new_text == "Hi,\n\nAnswer."


def test_gmail_attribution_with_unquoted_history_cuts_everything_below() -> None:
    body = (
        "Short answer: yes.\n\n\nOn Wed, May 18, 2016 at 11:10 PM Steven <s@example.com>\n"
        "wrote:\n\n\nThe old message, not quoted with >.\nSecond line.\n"
    )
    reply = extract_reply(body)
    assert reply.new_text == "Short answer: yes."
    assert reply.quoted


def test_sentence_mentioning_on_is_not_an_attribution() -> None:
    body = "On your remote host you can run:\n\n    telnet 127.0.0.1 52698\n\nThat should work."
    assert extract_reply(body) == Reply(new_text=body, signature="", quoted=False)


@pytest.mark.parametrize(
    "history",
    [
        "-----Original Message-----\nFrom: Desk [mailto:desk@example.com]\nSent: Monday\n\nold",
        "________________________________\nFrom: Desk <desk@example.com>\nSent: Monday\n"
        "To: Ann\nSubject: Re: printer\n\nold",
        "*From:* Desk [mailto:desk@example.com]\n*Sent:* Monday\n*To:* ann@example.com\n\nold",
        "Von: Desk <desk@example.com>\nGesendet: Montag, 3. Juni 2024 10:15\nAn: Ann\n"
        "Betreff: AW: Drucker\n\nalt",
        "Od: Desk <desk@example.com>\nWysłano: poniedziałek\nDo: Ann\nTemat: Odp: drukarka",
        "De : Desk <desk@example.com>\nEnvoyé : lundi 3 juin 2024\nÀ : Ann\nObjet : imprimante",
        "Date: Thu, 26 Jun 2014 13:53:45 +0400\nSubject: Test\nFrom: desk@example.com\n"
        "To: ann@example.com\n\nold",
        "-----Ursprüngliche Nachricht-----\nalt",
    ],
)
def test_outlook_history_block_removed(history: str) -> None:
    reply = extract_reply(f"New text here.\n\n{history}\n")
    assert reply.new_text == "New text here."
    assert reply.quoted


def test_forwarded_message_is_kept() -> None:
    body = (
        "Please look at this.\n\n---------- Forwarded message ---------\n"
        "From: Vendor <v@example.com>\nDate: Mon, 3 Jun 2024\nSubject: Invoice\n\nPay now."
    )
    assert "Pay now." in extract_reply(body).new_text


def test_inline_reply_keeps_new_lines_between_quotes() -> None:
    body = (
        "On Tue, Apr 29, 2014 at 4:22 PM, Dev <dev@example.com> wrote:\n\n"
        "> Which model is it?\n>\n\nAn LX-300.\n\n> And the serial number?\n\nAB123.\n\n"
        "> -- Tim\n"
    )
    reply = extract_reply(body)
    assert reply.new_text == "An LX-300.\n\nAB123."
    assert reply.quoted


def test_nested_quotes_removed() -> None:
    reply = extract_reply("Fixed.\n\n> > old\n> older\n>> oldest\n")
    assert reply.new_text == "Fixed."


def test_rfc3676_signature() -> None:
    reply = extract_reply("Works now.\n\n-- \nAnn Smith\nACME Corp\n")
    expected = Reply(new_text="Works now.", signature="-- \nAnn Smith\nACME Corp", quoted=False)
    assert reply == expected


def test_double_dash_inside_a_sentence_is_not_a_signature() -> None:
    body = "Here is a fix -- this is not a signature.\n\nkthxbai"
    assert extract_reply(body).new_text == body


@pytest.mark.parametrize(
    "mobile",
    [
        "Sent from my iPhone",
        "Sent from my Verizon Wireless BlackBerry",
        "Wysłane z iPhone'a",
        "Von meinem iPhone gesendet",
        "Envoyé de mon iPhone",
        "Get Outlook for Android",
    ],
)
def test_mobile_signature(mobile: str) -> None:
    reply = extract_reply(f"On my way.\n\n{mobile}\n")
    assert reply.new_text == "On my way."
    assert reply.signature == mobile


def test_sent_from_my_sentence_is_not_a_signature() -> None:
    body = "Here it is.\n\nSent from my desk, is much easier then my mobile phone."
    assert extract_reply(body).new_text == body


@pytest.mark.parametrize(
    "closing", ["Thanks,\nAlex", "Best regards,\nAnna Nowak\nACME", "Pozdrawiam,\nJan",
                "Mit freundlichen Grüßen\nMax Mustermann", "Cordialement,\nJean"]
)
def test_closing_block_is_signature(closing: str) -> None:
    reply = extract_reply(f"The invoice is attached.\n\n{closing}\n")
    assert reply.new_text == "The invoice is attached."
    assert reply.signature == closing


def test_dash_name_line_and_list_footer_are_signature() -> None:
    body = (
        "What is the best way?\n\n-Abhishek Kona\n\n\n_______________\n"
        "riak-users mailing list\nriak-users@lists.example.com\n"
    )
    reply = extract_reply(body)
    assert reply.new_text == "What is the best way?"
    assert reply.signature.startswith("-Abhishek Kona")
    assert reply.signature.endswith("riak-users@lists.example.com")


def test_signature_only_mail_keeps_its_text() -> None:
    assert extract_reply("Thanks,\nAlex").new_text == "Thanks,\nAlex"


def test_entirely_quoted_mail_is_returned_unchanged() -> None:
    body = "On Mon, 3 Jun 2024, Ann <ann@example.com> wrote:\n> hello\n> world"
    assert extract_reply(body) == Reply(new_text=body, signature="", quoted=False, whole_text=True)


def test_leading_and_trailing_blank_lines_stripped() -> None:
    assert extract_reply("\n\n  \nHello\n\n\n").new_text == "Hello"


def test_crlf_line_ends() -> None:
    body = ":+1:\r\n\r\nOn Tue, Sep 25, 2012, Chris <c@example.com> wrote:\r\n> x\r\n"
    reply = extract_reply(body)
    assert reply.new_text == ":+1:"


def test_html_only_gmail_reply() -> None:
    html = (
        '<div dir="ltr">Hi. I am fine.<div><br></div><div>Thanks,<br>Alex</div></div>'
        '<div class="gmail_extra"><div class="gmail_quote">On Thu, Jun 26, 2014, Sasha '
        '&lt;s@example.com&gt; wrote:<blockquote class="gmail_quote">Hello! How are you?'
        "</blockquote></div></div>"
    )
    reply = extract_reply("", html=html)
    assert reply.new_text == "Hi. I am fine."
    assert reply.signature == "Thanks,\nAlex"
    assert reply.quoted
    assert "How are you" not in reply.new_text + reply.signature


def test_html_outlook_reply_header_cuts_the_rest() -> None:
    html = (
        "<html><body><p>Approved.</p><div id=\"divRplyFwdMsg\"><b>From:</b> Desk</div>"
        "<p>Old request text</p></body></html>"
    )
    assert extract_reply("", html=html).new_text == "Approved."


def test_html_thunderbird_cite_prefix_removed() -> None:
    html = (
        "<p>See you then.</p><div class=\"moz-cite-prefix\">On 26/06/14 12:00, Sasha wrote:"
        "<br></div><blockquote type=\"cite\">Meet at noon?</blockquote>"
    )
    assert extract_reply("", html=html).new_text == "See you then."


def test_html_that_is_all_quote_is_kept() -> None:
    html = "<blockquote>only a quote</blockquote>"
    assert strip_html_quotes(html) == html
    assert extract_reply("", html=html).new_text == "only a quote"


def test_plain_text_wins_over_html() -> None:
    assert extract_reply("plain", html="<p>html</p>").new_text == "plain"


def test_pathological_quote_run_finishes() -> None:
    body = "Real answer.\n" + "> " * 3 + "\n" + "> quoted line with text\n" * 20_000
    assert extract_reply(body).new_text == "Real answer."


def test_pathological_long_lines_finish() -> None:
    long_line = ("On " + "x" * 5_000 + " wrote") * 5
    body = "Top.\n" + (long_line + "\n") * 50 + "From: " + "a" * 5_000 + "\n" + ":" * 5_000
    assert extract_reply(body).new_text.startswith("Top.")


def test_huge_text_without_newlines_is_kept_whole() -> None:
    body = ("word " * 16) * 5_000  # 5k lines' worth of text on one line
    assert extract_reply(body).new_text == body.rstrip()
