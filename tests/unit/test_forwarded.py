"""A customer's words above a forwarded mail are the message; the forward is kept beside
it (issue 23 point 3): Gmail, Thunderbird, Apple Mail and Outlook in en, pl, de, fr, es."""

from __future__ import annotations

import pytest

from postdesk.mail.forwarded import FORWARD_SUBJECT, split_forwarded
from postdesk.mail.shown_text import FORWARDED_NAME, shown_text

OWN = "Please have a look at the invoice below, the amount is wrong.\n\nZoë"
FORWARDED_BODY = "\nDear customer,\nyour invoice 2026/12/004 is attached.\n"

# (client, subject, the forwarded block as that client writes it)
FORWARDS = [
    ("gmail en", "Fwd: Invoice",
     "---------- Forwarded message ---------\nFrom: Shop <shop@example.com>\n"
     "Date: Mon, Dec 1, 2026 at 10:00 AM\nSubject: Invoice\nTo: <zoe@example.com>\n"),
    ("gmail pl", "Fwd: Faktura",
     "---------- Wiadomość przekazana ---------\nOd: Sklep <shop@example.com>\n"
     "Date: pon., 1 gru 2026 o 10:00\nSubject: Faktura\nTo: <zoe@example.com>\n"),
    ("gmail fr", "Fwd: Facture",
     "---------- Message transféré ---------\nDe : Boutique <shop@example.com>\n"
     "Date: lun. 1 déc. 2026 à 10:00\nSubject: Facture\nTo: <zoe@example.com>\n"),
    ("gmail es", "Fwd: Factura",
     "---------- Mensaje reenviado ---------\nDe: Tienda <shop@example.com>\n"
     "Date: lun, 1 dic 2026 a las 10:00\nSubject: Factura\nTo: <zoe@example.com>\n"),
    ("thunderbird en", "Fwd: Invoice",
     "-------- Forwarded Message --------\nSubject: \tInvoice\nDate: \tMon, 1 Dec 2026 10:00\n"
     "From: \tShop <shop@example.com>\nTo: \tzoe@example.com\n"),
    ("thunderbird de", "WG: Rechnung",
     "-------- Weitergeleitete Nachricht --------\nBetreff: \tRechnung\n"
     "Datum: \tMon, 1 Dec 2026 10:00\nVon: \tShop <shop@example.com>\nAn: \tzoe@example.com\n"),
    ("apple mail en", "Fwd: Invoice",
     "Begin forwarded message:\n\nFrom: Shop <shop@example.com>\nSubject: Invoice\n"
     "Date: 1 December 2026 at 10:00:00 CET\nTo: zoe@example.com\n"),
    ("apple mail de", "WG: Rechnung",
     "Anfang der weitergeleiteten Nachricht:\n\nVon: Shop <shop@example.com>\n"
     "Betreff: Rechnung\nDatum: 1. Dezember 2026 um 10:00:00 MEZ\nAn: zoe@example.com\n"),
    ("outlook en", "FW: Invoice",
     "________________________________\nFrom: Shop <shop@example.com>\n"
     "Sent: Monday, December 1, 2026 10:00 AM\nTo: Zoe <zoe@example.com>\nSubject: Invoice\n"),
    ("outlook de", "WG: Rechnung",
     "________________________________\nVon: Shop <shop@example.com>\n"
     "Gesendet: Montag, 1. Dezember 2026 10:00\nAn: Zoe <zoe@example.com>\nBetreff: Rechnung\n"),
    ("outlook pl", "PD: Faktura",
     "-----Original Message-----\nOd: Sklep <shop@example.com>\n"
     "Wysłano: poniedziałek, 1 grudnia 2026 10:00\nDo: Zoe <zoe@example.com>\nTemat: Faktura\n"),
    ("outlook fr", "TR : Facture",
     "________________________________\nDe : Boutique <shop@example.com>\n"
     "Envoyé : lundi 1 décembre 2026 10:00\nÀ : Zoe <zoe@example.com>\nObjet : Facture\n"),
    ("outlook es", "RV: Factura",
     "________________________________\nDe: Tienda <shop@example.com>\n"
     "Enviado: lunes, 1 de diciembre de 2026 10:00\nPara: Zoe <zoe@example.com>\n"
     "Asunto: Factura\n"),
]


@pytest.mark.parametrize(("client", "subject", "block"), FORWARDS, ids=[f[0] for f in FORWARDS])
def test_own_words_above_a_forward_are_the_message(client: str, subject: str, block: str) -> None:
    forward = split_forwarded(f"{OWN}\n\n{block}{FORWARDED_BODY}", subject)
    assert forward is not None
    assert forward.own_text == OWN
    assert forward.forwarded == block + FORWARDED_BODY


@pytest.mark.parametrize(("client", "subject", "block"), FORWARDS, ids=[f[0] for f in FORWARDS])
def test_shown_text_keeps_the_forward_as_a_part(client: str, subject: str, block: str) -> None:
    for follow_up in (False, True):
        shown = shown_text(f"{OWN}\n\n{block}{FORWARDED_BODY}", None, subject,
                           follow_up=follow_up)
        assert shown.text.startswith("Please have a look at the invoice below")
        assert "2026/12/004" not in shown.text
        [part] = shown.parts()
        assert part.filename == FORWARDED_NAME and part.content_type == "text/plain"
        assert part.data.decode() == block + FORWARDED_BODY


def test_an_outlook_reply_is_history_not_a_forward() -> None:
    reply = ("Thanks, that helps.\n\n________________________________\n"
             "From: Support <support@example.com>\nSent: Monday, December 1, 2026 10:00 AM\n"
             "To: Zoe\nSubject: Your ticket\n\nold text\n")
    assert split_forwarded(reply, "RE: Your ticket") is None
    shown = shown_text(reply, None, "RE: Your ticket", follow_up=True)
    assert shown.text == "Thanks, that helps." and shown.parts() == ()


def test_a_forward_inside_quoted_history_is_history() -> None:
    reply = ("Any news?\n\nOn Mon, 1 Dec 2026, Support <support@example.com> wrote:\n"
             "> ---------- Forwarded message ---------\n> From: someone\n")
    assert split_forwarded(reply, "Re: Fwd: Invoice") is None


def test_a_bare_forward_is_shown_itself() -> None:
    text = FORWARDS[0][2] + FORWARDED_BODY
    shown = shown_text(text, None, "Fwd: Invoice", follow_up=False)
    assert shown.text == text and shown.parts() == ()


def test_a_customer_writing_from_and_to_lines_forwards_nothing() -> None:
    text = "Please move my account.\nFrom: old@example.com\nTo: new@example.com\n"
    assert split_forwarded(text, "Fwd: account") is None


@pytest.mark.parametrize("subject", ["Fwd: x", "FW: x", "WG: x", "PD: x", "TR : x", "RV: x",
                                     "ENC: x", "Doorst: x", "VB: x", "I: x", "Пересл: x",
                                     "转发：x", "Re: Fwd: x", "[Fwd: x]"])
def test_forward_subjects(subject: str) -> None:
    assert FORWARD_SUBJECT.match(subject)


@pytest.mark.parametrize("subject", ["Re: x", "AW: x", "Forward planning", "Fwdx: y", "TRIP: x"])
def test_not_forward_subjects(subject: str) -> None:
    assert not FORWARD_SUBJECT.match(subject)


def test_nothing_new_in_a_reply_is_shown_whole_and_flagged() -> None:
    text = "On Mon, 1 Dec 2026, Support <support@example.com> wrote:\nold text, unquoted\n"
    shown = shown_text(text, None, "Re: x", follow_up=True)
    assert shown.whole and "old text" in shown.text
