"""An agent's closing line stays in the answer; only the signature block goes (issue 26)."""

from __future__ import annotations

import pytest

from postdesk.mail.reply import extract_reply

# Agents' answers as their mail clients sent them: closing, name block, contact lines,
# quoted history below (Gmail, Outlook, Thunderbird).
ANSWERS = [
    ("Hallo Frau Weber,\n\ndie Rückbuchung ist veranlasst.\n\nMit freundlichen Grüßen\n"
     "Jonas Becker\nKundenservice | Beispiel GmbH\nTel. +49 30 1234567\n\n"
     "Am Mo., 7. Dez. 2026 um 09:12 Uhr schrieb Anna Weber <anna@kunde.example>:\n> Hallo\n",
     "Mit freundlichen Grüßen", "Jonas Becker"),
    ("Hallo Frau Weber,\n\nder Drucker ist repariert.\n\nViele Grüße,\nJonas\n\n"
     "-----Ursprüngliche Nachricht-----\nVon: Anna Weber\nGesendet: Montag\n",
     "Viele Grüße,", "Jonas"),
    ("Dzień dobry,\n\nzwrot został zlecony, pieniądze wrócą w ciągu 3 dni.\n\nPozdrawiam\n"
     "Piotr Nowak\nDział obsługi klienta\ntel. +48 22 123 45 67\n\n"
     "W dniu 7.12.2026 o 09:12, Zofia Wiśniewska pisze:\n> Dzień dobry\n",
     "Pozdrawiam", "Piotr Nowak"),
    ("Dzień dobry Pani Zofio,\n\nproszę o numer seryjny drukarki.\n\nZ poważaniem,\n"
     "Piotr Nowak\n", "Z poważaniem,", "Piotr Nowak"),
    ("Hi Zoe,\n\nthe new fuser is on its way.\n\nBest,\nAnna\n\n"
     "On Mon, Dec 7, 2026 at 9:12 AM Zoe <zoe@customer.example> wrote:\n> my printer\n",
     "Best,", "Anna"),
    ("Hi Zoe,\n\nthe refund is done.\n\nKind regards\nAnna Nowak\nSupport Lead | Example Ltd\n"
     "+44 20 7946 0000\nwww.example.com\n", "Kind regards", "Anna Nowak"),
]


@pytest.mark.parametrize("text, closing, name", ANSWERS)
def test_the_agent_s_closing_stays_and_the_name_block_goes(text: str, closing: str,
                                                           name: str) -> None:
    reply = extract_reply(text, keep_closing=True)
    assert reply.new_text.rstrip().endswith(closing)
    assert name not in reply.new_text.splitlines()[-1]
    assert name in reply.signature
    assert ">" not in reply.new_text


def test_the_signature_after_the_delimiter_goes_and_the_closing_above_stays() -> None:
    text = "Hello,\n\nall fixed.\n\nCheers\n-- \nAnna Nowak\nExample Ltd\n"
    reply = extract_reply(text, keep_closing=True)
    assert reply.new_text.endswith("all fixed.\n\nCheers")
    assert "Anna Nowak" in reply.signature


def test_a_closing_with_nothing_below_is_just_text() -> None:
    text = "Hello,\n\nall fixed.\n\nThanks!"
    assert extract_reply(text, keep_closing=True).new_text == text


def test_customers_mail_still_loses_its_closing_block() -> None:
    # what the agents read of a customer's mail is unchanged: the closing goes with the name
    text = "Hello,\n\nmy printer is on fire.\n\nThanks,\nZoe\n"
    assert extract_reply(text).new_text == "Hello,\n\nmy printer is on fire."
