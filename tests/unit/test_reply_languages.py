"""One example per language and kind from the table in postdesk/mail/reply_languages.py.

Each language's mail clients must have their history cut (attribution line, an
unquoted Outlook header block, "Original Message"), their forwarded mail kept,
their phone signature moved to the signature, and their "solved" phrases read,
while a negated one is not.
"""

from __future__ import annotations

import pytest

from postdesk.mail.reply import extract_reply
from postdesk.mail.reply_languages import LANGUAGES
from postdesk.mail.solved import says_solved

NEW = "The printer on floor 3 prints again."
QUOTED = "> Is the printer working again?\n> Support"
HISTORY = "Is the printer working again?\nSupport"

#: language -> kind -> example
EXAMPLES: dict[str, dict[str, str]] = {
    "en": {
        "attribution": "On Mon, 6 Jan 2025 at 10:12, Support <support@desk.example> wrote:",
        "headers": "From: Support <support@desk.example>\nSent: Monday, 6 January 2025 10:12\n"
                   "To: Anna\nSubject: Printer",
        "original": "-----Original Message-----",
        "forwarded": "---------- Forwarded message ---------",
        "mobile": "Sent from my iPhone",
        "solved": "Thanks, it works now!",
        "not_solved": "It still doesn't work now.",
    },
    "de": {
        "attribution": "Am Mo., 6. Jan. 2025 um 10:12 Uhr schrieb Support <support@desk.example>:",
        "headers": "Von: Support <support@desk.example>\nGesendet: Montag, 6. Januar 2025\n"
                   "An: Anna\nBetreff: Drucker",
        "original": "-----Ursprüngliche Nachricht-----",
        "forwarded": "---------- Weitergeleitete Nachricht ---------",
        "mobile": "Von meinem iPhone gesendet",
        "solved": "Danke, das Problem ist gelöst.",
        "not_solved": "Das Problem ist leider nicht gelöst.",
    },
    "pl": {
        "attribution": "W dniu 6.01.2025 o 10:12, Support <support@desk.example> pisze:",
        "headers": "Od: Support <support@desk.example>\nWysłano: poniedziałek, 6 stycznia 2025\n"
                   "Do: Anna\nTemat: Drukarka",
        "original": "-----Oryginalna wiadomość-----",
        "forwarded": "---------- Wiadomość przekazana ---------",
        "mobile": "Wysłane z mojego iPhone'a",
        "solved": "Już działa, dziękuję!",
        "not_solved": "Drukarka nadal nie działa.",
    },
    "fr": {
        "attribution": "Le lun. 6 janv. 2025 à 10:12, Support <support@desk.example> a écrit :",
        "headers": "De : Support <support@desk.example>\nEnvoyé : lundi 6 janvier 2025\n"
                   "À : Anna\nObjet : Imprimante",
        "original": "-----Message d'origine-----",
        "forwarded": "-------- Message transféré --------",
        "mobile": "Envoyé de mon iPhone",
        "solved": "Merci, ça marche !",
        "not_solved": "Ce n'est pas résolu.",
    },
    "es": {
        "attribution": "El lun, 6 ene 2025 a las 10:12, Support (<support@desk.example>) "
                       "escribió:",
        "headers": "De: Support <support@desk.example>\nEnviado el: lunes, 6 de enero de 2025\n"
                   "Para: Anna\nAsunto: Impresora",
        "original": "-----Mensaje original-----",
        "forwarded": "---------- Mensaje reenviado ---------",
        "mobile": "Enviado desde mi iPhone",
        "solved": "Gracias, ya funciona.",
        "not_solved": "No está resuelto.",
    },
    "it": {
        "attribution": "Il giorno lun 6 gen 2025 alle ore 10:12 Support "
                       "<support@desk.example> ha scritto:",
        "headers": "Da: Support <support@desk.example>\nInviato: lunedì 6 gennaio 2025\n"
                   "A: Anna\nOggetto: Stampante",
        "original": "-----Messaggio originale-----",
        "forwarded": "---------- Messaggio inoltrato ---------",
        "mobile": "Inviato da iPhone",
        "solved": "Grazie, risolto!",
        "not_solved": "Non è risolto.",
    },
    "nl": {
        "attribution": "Op ma 6 jan. 2025 om 10:12 schreef Support <support@desk.example>:",
        "headers": "Van: Support <support@desk.example>\nVerzonden: maandag 6 januari 2025\n"
                   "Aan: Anna\nOnderwerp: Printer",
        "original": "-----Oorspronkelijk bericht-----",
        "forwarded": "---------- Doorgestuurd bericht ---------",
        "mobile": "Verzonden vanaf mijn iPhone",
        "solved": "Bedankt, het werkt nu.",
        "not_solved": "Het is niet opgelost.",
    },
    "pt": {
        "attribution": "Em seg., 6 de jan. de 2025 às 10:12, Support <support@desk.example> "
                       "escreveu:",
        "headers": "De: Support <support@desk.example>\nEnviada em: segunda-feira, 6 de janeiro\n"
                   "Para: Anna\nAssunto: Impressora",
        "original": "-----Mensagem original-----",
        "forwarded": "---------- Mensagem encaminhada ---------",
        "mobile": "Enviado do meu iPhone",
        "solved": "Obrigado, resolvido!",
        "not_solved": "Ainda não resolvido.",
    },
    "sv": {
        "attribution": "Den mån 6 jan. 2025 kl 10:12 skrev Support <support@desk.example>:",
        "headers": "Från: Support <support@desk.example>\nSkickat: den 6 januari 2025\n"
                   "Till: Anna\nÄmne: Skrivare",
        "original": "-----Ursprungligt meddelande-----",
        "forwarded": "---------- Vidarebefordrat meddelande ---------",
        "mobile": "Skickat från min iPhone",
        "solved": "Tack, det fungerar nu.",
        "not_solved": "Det är inte löst.",
    },
    "ru": {
        "attribution": "6 янв. 2025 г., в 10:12, Support <support@desk.example> написал(а):",
        "headers": "От: Support <support@desk.example>\nОтправлено: 6 января 2025 г.\n"
                   "Кому: Anna\nТема: Принтер",
        "original": "-----Исходное сообщение-----",
        "forwarded": "-------- Пересылаемое сообщение --------",
        "mobile": "Отправлено с iPhone",
        "solved": "Спасибо, всё работает.",
        "not_solved": "Всё ещё не решено.",
    },
    "uk": {
        "attribution": "пн, 6 січ. 2025 о 10:12 Support <support@desk.example> пише:",
        "headers": "Від: Support <support@desk.example>\nНадіслано: 6 січня 2025 р.\n"
                   "Кому: Anna\nТема: Принтер",
        "original": "-----Початкове повідомлення-----",
        "forwarded": "-------- Переслане повідомлення --------",
        "mobile": "Надіслано з iPhone",
        "solved": "Дякую, все працює.",
        "not_solved": "Ще не вирішено.",
    },
    "zh": {
        "attribution": "Support <support@desk.example> 于2025年1月6日周一 10:12写道：",
        "headers": "发件人: Support <support@desk.example>\n发送时间: 2025年1月6日 10:12\n"
                   "收件人: Anna\n主题: 打印机",
        "original": "------------------ 原始邮件 ------------------",
        "forwarded": "---------- 转发邮件 ----------",
        "mobile": "发自我的iPhone",
        "solved": "谢谢，已解决。",
        "not_solved": "还没有解决了。",
    },
}

CODES = sorted(EXAMPLES)


def test_every_language_of_the_table_has_examples() -> None:
    tabled = {lang.code for lang in LANGUAGES} - {"other"}
    assert tabled == set(EXAMPLES)
    assert {"en", "pl", "de", "fr", "es", "it", "nl", "pt", "sv", "ru", "uk", "zh"} <= tabled


@pytest.mark.parametrize("code", CODES)
def test_attribution_and_quote_are_cut(code: str) -> None:
    body = f"{NEW}\n\n{EXAMPLES[code]['attribution']}\n{QUOTED}\n"
    reply = extract_reply(body)
    assert (reply.new_text, reply.quoted) == (NEW, True)


@pytest.mark.parametrize("code", CODES)
def test_attribution_over_unquoted_history_is_cut(code: str) -> None:
    # Gmail-style clients put the history below the attribution without ">".
    body = f"{NEW}\n\n{EXAMPLES[code]['attribution']}\n\n{HISTORY}\n"
    assert extract_reply(body).new_text == NEW


@pytest.mark.parametrize("code", CODES)
def test_outlook_header_block_is_cut(code: str) -> None:
    body = f"{NEW}\n\n{EXAMPLES[code]['headers']}\n\n{HISTORY}\n"
    assert extract_reply(body).new_text == NEW


@pytest.mark.parametrize("code", CODES)
def test_original_message_marker_is_cut(code: str) -> None:
    body = f"{NEW}\n\n{EXAMPLES[code]['original']}\n{EXAMPLES[code]['headers']}\n\n{HISTORY}\n"
    assert extract_reply(body).new_text == NEW


@pytest.mark.parametrize("code", CODES)
def test_forwarded_message_keeps_own_text_and_the_forward(code: str) -> None:
    body = (f"Please look at the mail below.\n\n{EXAMPLES[code]['forwarded']}\n"
            f"{EXAMPLES[code]['headers']}\n\nThe invoice 42 is wrong.\n")
    text = extract_reply(body).new_text
    assert text.startswith("Please look at the mail below.")
    assert "The invoice 42 is wrong." in text


@pytest.mark.parametrize("code", CODES)
def test_phone_signature_goes_to_the_signature(code: str) -> None:
    reply = extract_reply(f"{NEW}\n\n{EXAMPLES[code]['mobile']}\n")
    assert (reply.new_text, reply.signature) == (NEW, EXAMPLES[code]["mobile"])


@pytest.mark.parametrize("code", CODES)
def test_solved_phrase_is_read(code: str) -> None:
    assert says_solved(EXAMPLES[code]["solved"]) is not None


@pytest.mark.parametrize("code", CODES)
def test_negated_solved_phrase_is_not(code: str) -> None:
    assert says_solved(EXAMPLES[code]["not_solved"]) is None


@pytest.mark.parametrize("text", [
    "Thanks, that fixed it!",  # the example of issue 21
    "That solved it, many thanks.",
    "Great, this fixed the problem.",
    "The article did the trick, thank you!",
    "Danke, hat geklappt!",
    "Es hat funktioniert, vielen Dank.",
    "Das Problem ist behoben.",
    "Dziękuję, pomogło!",
    "Artykuł pomógł, dziękuję.",
])
def test_how_customers_say_an_article_solved_it_is_read(text: str) -> None:
    assert says_solved(text) is not None


@pytest.mark.parametrize("text", [
    "That didn't fix it.",
    "I followed the steps but nothing fixed it.",
    "Es hat leider nicht geklappt.",
    "Es hat nicht funktioniert.",
    "Das Problem ist noch nicht behoben.",
    "Niestety nie pomogło.",
    "Artykuł nie pomógł.",
])
def test_how_customers_say_it_did_not_is_not(text: str) -> None:
    assert says_solved(text) is None
