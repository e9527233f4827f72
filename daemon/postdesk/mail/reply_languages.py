"""The words mail clients and customers use, per language, in one table: extend it here.

Each :class:`Language` lists, as regular-expression fragments (no anchors, no
unbounded nesting), how its mail clients introduce quoted history and forwarded
mail, the header names of an unquoted history block, the automatic signatures of
its phones and apps, its closing formulas, and the phrases with which a customer
says that the problem is solved. :mod:`postdesk.mail.reply_patterns` compiles
them; tests/unit/test_reply_languages.py holds one example per language and kind.

To add a language: add one entry, then an example per kind to the test table.
Languages without spaces between words (Chinese, Japanese) set ``spaced=False``
so that their words match without word boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    """How one language writes the parts of a reply that are not the customer's new text."""

    code: str
    #: "wrote" in an attribution line ("On ... X wrote:")
    wrote: tuple[str, ...] = ()
    #: words that open an attribution line ("On", "Am", "W dniu")
    openers: tuple[str, ...] = ()
    #: "-----Original Message-----"
    original_message: tuple[str, ...] = ()
    #: "---------- Forwarded message ----------" (between dashes)
    forwarded: tuple[str, ...] = ()
    #: Apple Mail's "Begin forwarded message:" (a line of its own, ends with a colon)
    forwarded_intro: tuple[str, ...] = ()
    #: "From:" of an unquoted history header block
    from_names: tuple[str, ...] = ()
    #: the other header names of such a block ("Sent:", "To:", "Subject:")
    header_names: tuple[str, ...] = ()
    #: automatic signatures of phones and apps ("Sent from my iPhone"), whole line
    mobile: tuple[str, ...] = ()
    #: closing formulas that start a "Thanks,\nName" block
    valedictions: tuple[str, ...] = ()
    #: the customer says the problem is solved ("works now", "rozwiązane")
    solved: tuple[str, ...] = ()
    #: what a mail client puts before a forwarded mail's subject ("Fwd:", "WG:"), no colon
    forward_prefixes: tuple[str, ...] = ()
    #: words are separated by spaces (word boundaries apply)
    spaced: bool = True


_ANY = r"[^\n]{1,60}"

LANGUAGES: tuple[Language, ...] = (
    Language(
        "en", wrote=("wrote", "writes", r"wrote\s+on"), openers=("On",),
        original_message=(r"Original\s+Message", "Original", r"Reply\s+message"),
        forwarded=(r"Forwarded\s+message", r"Forwarded\s+Message"),
        forwarded_intro=(r"Begin\s+forwarded\s+message",),
        from_names=("From",), header_names=("Sent", "Date", "To", "Cc", "Subject", "Reply-To"),
        mobile=(r"Sent\s+from\s+my\s+[\w'’.-]+(?:\s+[\w'’.-]+){0,4}",
                r"Sent\s+(?:from|with|via)\s+(?:Outlook|Yahoo|Mail\s+for|Samsung|ProtonMail|"
                r"Proton\s+Mail|Gmail|iPhone|iPad|Android|BlackBerry|Sparrow|Mailbird|Spark|"
                r"Edison|AOL|Blue\s*Mail)[^\n]{0,80}",
                r"Get\s+Outlook\s+for\s+(?:iOS|Android)"),
        valedictions=(r"(?:many\s+|kind\s+|best\s+|warm\s+)?(?:thanks|thank\s+you|regards)"
                      r"(?:\s+again)?",
                      r"(?:best|kind|warm|warmest)(?:\s+wishes)?", r"best\s+regards",
                      r"kind\s+regards", "cheers", "sincerely",
                      r"yours(?:\s+(?:truly|sincerely))?", "greetings", r"all\s+the\s+best"),
        solved=("solved", r"(?:is|has been|got)\s+(?:fixed|resolved|sorted)",
                r"works?\s+(?:now|again|fine\s+now)", r"working\s+(?:now|again)",
                r"you\s+(?:can|may)\s+close\s+(?:the|this)\s+(?:ticket|issue|case)",
                r"problem\s+(?:is\s+)?gone",
                # "thanks, that fixed it", "this solved the problem", "did the trick"
                r"(?:that|this|which|it)\s+(?:has\s+)?(?:fixed|solved|sorted)\s+"
                r"(?:it|the\s+(?:problem|issue))", r"did\s+the\s+trick"),
        forward_prefixes=("Fwd", "Fw"),
    ),
    Language(
        "de", wrote=("schrieb", "geschrieben"), openers=("Am",),
        original_message=(r"Ursprüngliche\s+Nachricht", "Originalnachricht"),
        forwarded=(r"Weitergeleitete\s+Nachricht",),
        forwarded_intro=(r"Anfang\s+der\s+weitergeleiteten\s+Nachricht",),
        from_names=("Von",), header_names=("Gesendet", "Datum", "An", "Betreff", "Kopie", "Cc"),
        mobile=(rf"(?:Von|Gesendet\s+von)\s+meinem\s+{_ANY}",
                rf"Gesendet\s+(?:mit|vom|von)\s+{_ANY}"),
        valedictions=(r"mit\s+freundlichen\s+grüßen", "mfg", r"viele\s+grüße", r"beste\s+grüße",
                      r"liebe\s+grüße", "grüße", "gruß", r"danke(?:\s+schön)?", r"vielen\s+dank"),
        solved=("gelöst", r"funktioniert\s+(?:jetzt|wieder)", "erledigt",
                r"(?:kann|können)\s+(?:das\s+Ticket\s+)?geschlossen\s+werden",
                r"hat\s+(?:funktioniert|geklappt)", "behoben"),
        forward_prefixes=("WG", "Weitergeleitet"),
    ),
    Language(
        "pl", wrote=("pisze", "napisał", "napisała", r"napisał\(a\)"),
        openers=(r"W\s+dniu", "Dnia"),
        original_message=(r"Oryginalna\s+wiadomość", r"Wiadomość\s+oryginalna"),
        forwarded=(r"Wiadomość\s+przekazana", r"Przekazana\s+wiadomość",
                   r"Przesłana\s+wiadomość"),
        forwarded_intro=(r"Początek\s+przekazanej\s+wiadomości",),
        from_names=("Od",), header_names=("Wysłano", "Data", "Do", "DW", "Temat"),
        mobile=(rf"Wysłane\s+z\s+{_ANY}", rf"Wysłano\s+z\s+{_ANY}"),
        valedictions=(r"pozdrawiam(?:\s+serdecznie)?", r"z\s+poważaniem", r"z\s+pozdrowieniami",
                      "dziękuję", "dzięki"),
        solved=("rozwiązan[ye]", r"(?:już\s+)?działa(?:\s+(?:już|teraz|poprawnie))?",
                r"można\s+zamknąć", "naprawion[ey]", "pomogł[oa]", "pomógł"),
        forward_prefixes=("PD", "Przekaż"),
    ),
    Language(
        "fr", wrote=(r"a\s+écrit", "écrit"), openers=("Le",),
        original_message=(r"Message\s+d'origine", r"Message\s+original"),
        forwarded=(r"Message\s+transféré", r"Message\s+réexpédié"),
        forwarded_intro=(r"Début\s+du\s+message\s+(?:réexpédié|transféré)",),
        from_names=("De",), header_names=("Envoyé", "Date", "À", "A", "Objet", "Cc"),
        mobile=(rf"Envoyé\s+(?:de|depuis)\s+(?:mon|ma)\s+{_ANY}",),
        valedictions=("cordialement", r"bien\s+cordialement", r"bien\s+à\s+vous", "merci",
                      "salutations"),
        solved=("résolu", r"(?:ça|cela)\s+(?:marche|fonctionne)",
                r"fonctionne\s+(?:maintenant|à\s+nouveau)",
                r"(?:vous\s+pouvez|pouvez)\s+fermer"),
        forward_prefixes=("TR", "Transf"),
    ),
    Language(
        "es", wrote=("escribió",), openers=("El",),
        original_message=(r"Mensaje\s+original",),
        forwarded=(r"Mensaje\s+reenviado",),
        forwarded_intro=(r"Inicio\s+del\s+mensaje\s+reenviado",),
        from_names=("De",), header_names=(r"Enviado(?:\s+el)?", "Fecha", "Para", "Asunto", "CC"),
        mobile=(rf"Enviado\s+(?:desde\s+mi|de\s+mi)\s+{_ANY}",),
        valedictions=("saludos", r"un\s+saludo", "atentamente", "gracias"),
        solved=("resuelto", "solucionado", r"ya\s+funciona", r"funciona\s+(?:ahora|bien)",
                r"(?:pueden|puede)\s+cerrar"),
        forward_prefixes=("RV", "Reenviado"),
    ),
    Language(
        "it", wrote=(r"ha\s+scritto", "scrisse"), openers=("Il",),
        original_message=(r"Messaggio\s+originale",),
        forwarded=(r"Messaggio\s+inoltrato",),
        forwarded_intro=(r"Inizio\s+messaggio\s+inoltrato",),
        from_names=("Da",), header_names=("Inviato", "Data", "A", "Oggetto", "Cc"),
        mobile=(rf"Inviato\s+da(?:l\s+mio)?\s+{_ANY}",),
        valedictions=("saluti", r"cordiali\s+saluti", "grazie"),
        solved=("risolto", r"funziona\s+(?:ora|adesso|di\s+nuovo)", r"potete\s+chiudere"),
        forward_prefixes=("I", "Inoltro", "Inoltra"),
    ),
    Language(
        "nl", wrote=("schreef",), openers=("Op",),
        original_message=(r"Oorspronkelijk\s+bericht", r"Origineel\s+bericht"),
        forwarded=(r"Doorgestuurd\s+bericht",),
        forwarded_intro=(r"Begin\s+doorgestuurd\s+bericht",),
        from_names=("Van",), header_names=("Verzonden", "Datum", "Aan", "Onderwerp", "CC"),
        mobile=(rf"Verzonden\s+(?:met|vanaf|van)\s+(?:mijn\s+)?{_ANY}",),
        valedictions=(r"met\s+vriendelijke\s+groet(?:en)?", "groeten", "bedankt"),
        solved=("opgelost", r"werkt\s+(?:nu|weer)", r"(?:mag|kan)\s+(?:gesloten|dicht)"),
        forward_prefixes=("Doorst", "DS"),
    ),
    Language(
        "pt", wrote=("escreveu",), openers=("Em",),
        original_message=(r"Mensagem\s+original",),
        forwarded=(r"Mensagem\s+encaminhada", r"Mensagem\s+reencaminhada"),
        forwarded_intro=(r"Início\s+da\s+mensagem\s+(?:reencaminhada|encaminhada)",),
        from_names=("De",), header_names=(r"Enviad[ao](?:\s+em)?", "Data", "Para", "Assunto",
                                          "Cc"),
        mobile=(rf"Enviado\s+(?:do\s+meu|de\s+meu)\s+{_ANY}",),
        valedictions=("cumprimentos", "obrigad[oa]", "atenciosamente", "abraços"),
        solved=("resolvido", r"funciona\s+agora", r"já\s+funciona", r"podem\s+fechar"),
        forward_prefixes=("ENC", "Encaminhada"),
    ),
    Language(
        "sv", wrote=("skrev",), openers=("Den", "På"),
        original_message=("Originalmeddelande", r"Ursprungligt\s+meddelande"),
        forwarded=(r"Vidarebefordrat\s+meddelande",),
        forwarded_intro=(r"Vidarebefordrat\s+brev",),
        from_names=("Från", "Fra"), header_names=("Skickat", "Datum", "Till", "Ämne", "Kopia",
                                                  "Sendt", "Til", "Emne"),
        mobile=(rf"Skickat\s+från\s+min\s+{_ANY}",),
        valedictions=(r"med\s+vänliga\s+hälsningar", "mvh", "hälsningar", "tack"),
        solved=("löst", r"fungerar\s+(?:nu|igen)", r"(?:kan|får)\s+stängas"),
        forward_prefixes=("VB", "VS"),
    ),
    Language(
        "ru", wrote=("написал", "написала", r"написал\(а\)"), openers=("В",),
        original_message=(r"Исходное\s+сообщение", r"Оригинальное\s+сообщение"),
        forwarded=(r"Пересылаемое\s+сообщение", r"Пересланное\s+сообщение"),
        forwarded_intro=(r"Начало\s+переадресованного\s+сообщения",),
        from_names=("От",), header_names=("Отправлено", "Дата", "Кому", "Копия", "Тема"),
        mobile=(rf"Отправлено\s+(?:с|из)\s+{_ANY}",),
        valedictions=(r"с\s+уважением", "спасибо"),
        solved=("решено", "заработало", r"(?:всё|все)\s+работает", r"можно\s+закрыть"),
        forward_prefixes=("Пересл", "Переслано"),
    ),
    Language(
        "uk", wrote=("написав", "написала", "пише"), openers=("У",),
        original_message=(r"Початкове\s+повідомлення", r"Оригінальне\s+повідомлення"),
        forwarded=(r"Переслане\s+повідомлення",),
        forwarded_intro=(r"Початок\s+пересланого\s+повідомлення",),
        from_names=("Від",), header_names=("Надіслано", "Дата", "Кому", "Копія", "Тема"),
        mobile=(rf"Надіслано\s+з\s+{_ANY}",),
        valedictions=(r"з\s+повагою", "дякую"),
        solved=("вирішено", "запрацювало", r"(?:все|усе)\s+працює", r"можна\s+закрити"),
        forward_prefixes=("Пересл", "Переслано"),
    ),
    Language(
        "zh", wrote=("写道", "寫道"), openers=("在",),
        original_message=("原始邮件", "原始郵件", "原邮件"),
        forwarded=("转发邮件", "轉寄郵件", "转发的邮件", "轉寄的郵件"),
        forwarded_intro=("转发的邮件", "轉寄的郵件"),
        from_names=("发件人", "寄件者", "寄件人"),
        header_names=("发送时间", "日期", "收件人", "抄送", "主题", "傳送時間", "收件者",
                      "副本", "主旨"),
        mobile=(rf"发自我的{_ANY}", rf"從我的{_ANY}傳送", rf"来自{_ANY}"),
        valedictions=("谢谢", "謝謝", "此致敬礼", "祝好"),
        solved=("已解决", "解决了", "已解決", "解決了", "可以关闭", "可以關閉"),
        spaced=False,
        forward_prefixes=("转发", "轉寄", "转寄"),
    ),
    # Languages whose mail clients we meet without a full table yet.
    Language("other", wrote=("kirjoitti", "napsal", "napsala", "írta", "yazdı"),
             openers=("Dne",),
             from_names=("Lähettäjä", "Feladó", "Kimden")),
)

# Header names of an unquoted history block that only name recipients ("To:", "Cc:"):
# with "From:" alone they do not make a header block.
RECIPIENT_HEADER_NAMES: tuple[str, ...] = (
    "To", "Cc", "An", "Kopie", "Do", "DW", "À", "A", "Para", "Aan", "Till", "Til", "Kopia",
    "Кому", "Копия", "Копія", "收件人", "抄送", "收件者", "副本",
)

# The negations that turn a "solved" phrase around ("not solved", "nie działa").
NEGATIONS: tuple[str, ...] = (
    "not", "no", "n't", "never", "nicht", "kein", "nie", "pas", "non", "niet",
    "inte", "não", "nao", "не", "ні", "没", "沒", "未", "不",
)
