"""Big5 and Greek (ISO-8859-7, Windows-1253) mail with no charset or labelled ISO-8859-1:
subjects, bodies and attachment names come out in the customer's script; Western text
under the same label is never read as anything else (issue 23)."""

from __future__ import annotations

import base64

import pytest

from postdesk.mail.charsets import decode_text, decode_undeclared
from postdesk.mail.parse import parse_message

SUBJECTS = {
    "big5": "測試郵件：請問我的訂單何時出貨？",
    "greek": "Πρόβλημα με την παραγγελία μου",
}
BODIES = {
    "big5": "您好，我上週訂購的商品到現在還沒有收到，請幫我查詢一下物流狀態。謝謝！",
    "greek": "Καλημέρα σας, η παραγγελία μου δεν έχει φτάσει ακόμα. Μπορείτε να με βοηθήσετε;",
}
NAMES = {"big5": "報價單.pdf", "greek": "τιμολόγιο.pdf"}
CASES = [("big5", "big5"), ("greek", "iso-8859-7"), ("greek", "cp1253")]


def _mail(subject: bytes, body: bytes, name: bytes, label: str | None) -> bytes:
    """A mail as a sender's program writes it: the bytes with `label`, or none at all."""
    if label is None:
        subject_field, name_field, charset = subject, name, b""
    else:
        def word(data: bytes) -> bytes:
            return b"=?" + label.encode() + b"?B?" + base64.b64encode(data) + b"?="
        subject_field, name_field = word(subject), word(name)
        charset = b'; charset="' + label.encode() + b'"'
    return (b"From: customer@example.com\r\nTo: support@desk.example\r\nSubject: "
            + subject_field + b"\r\nMessage-ID: <cs@example.com>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\n"
            b"Content-Type: text/plain" + charset + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + body + b"\r\n--BB\r\nContent-Type: application/pdf\r\n"
            b'Content-Disposition: attachment; filename="' + name_field + b'"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--BB--\r\n")


@pytest.mark.parametrize("label", [None, "iso-8859-1"], ids=["undeclared", "labelled-latin1"])
@pytest.mark.parametrize(("script", "codec"), CASES, ids=[c for _, c in CASES])
def test_subject_body_and_file_name_read_in_their_script(script: str, codec: str,
                                                         label: str | None) -> None:
    raw = _mail(SUBJECTS[script].encode(codec), BODIES[script].encode(codec),
                NAMES[script].encode(codec), label)
    parsed = parse_message(raw)
    assert parsed.subject == SUBJECTS[script]
    assert parsed.text.strip() == BODIES[script]
    assert [a.filename for a in parsed.attachments] == [NAMES[script]]


def test_literal_bytes_as_greek_and_taiwanese_mailers_send_them() -> None:
    # "Ευχαριστώ πολύ" in ISO-8859-7 and "謝謝您的幫忙" in Big5, as they travel.
    greek = b"\xc5\xf5\xf7\xe1\xf1\xe9\xf3\xf4\xfe \xf0\xef\xeb\xfd"
    big5 = b"\xc1\xc2\xc1\xc2\xb1\x7a\xaa\xba\xc0\xb0\xa6\xa3"
    assert decode_text(greek, "iso-8859-1") == "Ευχαριστώ πολύ"
    assert decode_undeclared(greek) == "Ευχαριστώ πολύ"
    assert decode_text(big5, "iso-8859-1") == "謝謝您的幫忙"
    assert decode_undeclared(big5) == "謝謝您的幫忙"


def test_capital_alpha_with_tonos_of_iso_8859_7_is_not_a_pilcrow() -> None:
    # 0xB6 is "Ά" in ISO-8859-7 and "¶" in Windows-1253.
    assert decode_text("Άμεση απάντηση παρακαλώ".encode("iso-8859-7"), "iso-8859-1") \
        == "Άμεση απάντηση παρακαλώ"


def test_a_greek_file_name_alone_is_greek_not_cyrillic() -> None:
    assert decode_undeclared("τιμολόγιο.pdf".encode("cp1253")) == "τιμολόγιο.pdf"
    assert decode_text("τιμολόγιο.pdf".encode("cp1253"), "iso-8859-1") == "τιμολόγιο.pdf"


WESTERN = [
    "Grüße aus Köln, schöne Größe",
    "Élève à l'école, déjà été",
    "façade déjà vu résumé",
    "Ñandú año, señor Núñez",
    "Þórður Ásgeirsson í Reykjavík",
    "Åsa Öberg på Åland",
    "ÀÉÎÕÜ ÇÑ",
    "ÉÉÉ ÀÀÀ ÔÔÔ",
    "Ärger über Öl",
    "São João, ação",
    "Ça été très réussi à Besançon",
]


@pytest.mark.parametrize("text", WESTERN)
def test_western_text_labelled_latin1_stays_as_labelled(text: str) -> None:
    assert decode_text(text.encode("cp1252"), "iso-8859-1") == text
    assert decode_text(text.encode("latin-1"), "iso-8859-1") == text


def test_cyrillic_windows_1251_undeclared_stays_cyrillic() -> None:
    for text in ("Привет, как дела? Жду ответа", "Счёт на оплату", "меня зовут Юля"):
        assert decode_undeclared(text.encode("cp1251")) == text


@pytest.mark.parametrize(("name", "codec"), [("τιμολόγιο.pdf", "iso-8859-7"),
                                             ("報價單.pdf", "big5"),
                                             ("Größe für Köln.pdf", "latin-1"),
                                             ("ÀÉÎÕÜ.pdf", "latin-1")])
def test_rfc2231_file_name_labelled_iso_8859_1(name: str, codec: str) -> None:
    encoded = "".join(f"%{byte:02X}" for byte in name.encode(codec)).encode()
    raw = (b"From: customer@example.com\r\nTo: support@desk.example\r\nSubject: files\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\n"
           b"Content-Type: text/plain\r\n\r\nattached\r\n--BB\r\n"
           b"Content-Type: application/pdf\r\n"
           b"Content-Disposition: attachment; filename*=iso-8859-1''" + encoded + b"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--BB--\r\n")
    assert [a.filename for a in parse_message(raw).attachments] == [name]
