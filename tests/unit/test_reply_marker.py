"""Replies are read above the desk's "##- ... -##" marker, in en/pl/de, as mail clients
quote it (issue 26)."""

from __future__ import annotations

import pytest

from postdesk.mail.reply import extract_reply

EN = "##- Please type your reply above this line -##"
PL = "##- Prosimy wpisać odpowiedź powyżej tej linii -##"
DE = "##- Bitte geben Sie Ihre Antwort oberhalb dieser Zeile ein -##"

CASES = {
    "gmail-en": (f"Thanks, that fixed it.\n\nOn Mon, 7 Dec 2026 at 10:00, Example Support "
                 f"<support@example.com> wrote:\n\n> {EN}\n>\n> Hello Zoe,\n> please restart "
                 "the printer.\n", "Thanks, that fixed it."),
    "outlook-de": ("Danke, das hat geholfen.\n\n________________________________\n"
                   "Von: Example Support <support@example.com>\n"
                   "Gesendet: Montag, 7. Dezember 2026 10:00\nAn: Zoe Weber\n"
                   f"Betreff: [#12] Drucker\n\n{DE}\n\nGuten Tag,\nbitte starten Sie den "
                   "Drucker neu.\n", "Danke, das hat geholfen."),
    "thunderbird-pl": ("Dziękuję, działa.\n\nW dniu 7.12.2026 o 10:00, Example Support "
                       f"pisze:\n> {PL}\n>\n> Dzień dobry,\n> proszę zrestartować drukarkę.\n",
                       "Dziękuję, działa."),
    # a client that quotes without any attribution or ">" (Outlook "forward inline"
    # style, some phones): only the marker says where the history starts
    "bare-pl": (f"Nadal nie działa, zdjęcie w załączniku.\n{PL}\nDzień dobry,\nproszę "
                "zrestartować drukarkę.\n", "Nadal nie działa, zdjęcie w załączniku."),
    "apple-mail-de": ("Hat geklappt!\n\n> Am 07.12.2026 um 10:00 schrieb Example Support "
                      f"<support@example.com>:\n>\n> {DE}\n> Guten Tag\n", "Hat geklappt!"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_reply_ends_above_the_marker(name: str) -> None:
    text, new = CASES[name]
    assert extract_reply(text).new_text == new


def test_the_marker_in_an_html_only_reply() -> None:
    html = (f"<div>Works now, thanks!</div><div class=\"gmail_quote\"><div>On Mon, Zoe "
            f"wrote:</div><blockquote><p>{EN}</p><p>Hello</p></blockquote></div>")
    assert extract_reply("", html=html).new_text == "Works now, thanks!"


def test_a_mail_that_only_mentions_hashes_is_left_alone() -> None:
    text = "Our ticket ##- 12 -## is odd\nand this line stays"
    assert extract_reply(text).new_text == text.split("\n")[0] + "\nand this line stays"
