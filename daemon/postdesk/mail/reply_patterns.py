"""Multilingual line patterns for reply extraction (see :mod:`postdesk.mail.reply`).

Every pattern is matched against ONE line (or at most three joined lines) that
the caller has already cut to :data:`MAX_PATTERN_LINE` characters, and none
nests unbounded quantifiers, so matching stays linear in the input size.
"""

from __future__ import annotations

import re

# Lines longer than this are never attribution lines, headers or signatures.
MAX_PATTERN_LINE = 400

# "On <date>, <name> wrote:" and friends: the verb that says "wrote" in the
# languages our customers use (en, de, pl, fr, es, pt, it, nl, sv/da/no, fi,
# cs, hu, tr, ru, uk, ja, zh).
_WROTE = (
    r"wrote|writes|schrieb|geschrieben|pisze|napisał|napisała|napisał\(a\)|"
    r"a\s+écrit|écrit|escribió|escreveu|ha\s+scritto|scrisse|schreef|skrev|"
    r"kirjoitti|napsal|napsala|írta|yazdı|написал|написала|написал\(а\)|"
    r"написав|пише|wrote\s+on"
)
WROTE_VERB = re.compile(rf"(?<!\w)(?:{_WROTE})(?!\w)", re.IGNORECASE)

# Words that open an attribution line ("On", "Am", "W dniu", "Le", ...).
ATTRIBUTION_OPENER = re.compile(
    r"^\s*(?:(?:On|Am|W\s+dniu|Dnia|Le|El|Em|Il|Op|Den|Dne|På|В|У)(?!\w)|\d)",
    re.IGNORECASE,
)

# A clock time ("13:53", "9:05") in a Gmail/Mail.ru "<date> Name <addr>:" line.
CLOCK_TIME = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)")

# "-----Original Message-----" and its translations.
ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:Original\s+Message|Ursprüngliche\s+Nachricht|Originalnachricht|"
    r"Oryginalna\s+wiadomość|Wiadomość\s+oryginalna|Message\s+d'origine|"
    r"Message\s+original|Mensaje\s+original|Mensagem\s+original|Messaggio\s+originale|"
    r"Oorspronkelijk\s+bericht|Originalmeddelande|Исходное\s+сообщение|"
    r"Reply\s+message|Original)\s*-{2,}\s*$",
    re.IGNORECASE,
)

# "---------- Forwarded message ----------": what follows is content, not history.
FORWARD_MARKER = re.compile(
    r"^\s*-{2,}\s*(?:Forwarded\s+message|Weitergeleitete\s+Nachricht|"
    r"Wiadomość\s+przekazana|Message\s+transféré|Mensaje\s+reenviado|"
    r"Пересылаемое\s+сообщение)\s*-{2,}\s*$|^\s*Begin\s+forwarded\s+message:\s*$",
    re.IGNORECASE,
)

# Header lines of an unquoted Outlook/Hotmail/Apple history block.
_FROM_NAMES = r"From|Von|Od|De|Van|Da|Från|Fra|Lähettäjä|Feladó|Kimden|От|Від"
_OTHER_NAMES = (
    r"Sent|Date|To|Cc|Subject|Reply-To|Gesendet|Datum|An|Betreff|Kopie|Wysłano|Data|Do|"
    r"DW|Temat|Envoyé|À|Objet|Enviado|Fecha|Para|Asunto|Inviato|Oggetto|A|Verzonden|"
    r"Aan|Onderwerp|Skickat|Till|Ämne|Sendt|Til|Emne|Отправлено|Дата|Кому|Копия|Тема"
)
FROM_HEADER = re.compile(rf"^\s*\*?(?:{_FROM_NAMES})\s*:\*?\s*\S", re.IGNORECASE)
HEADER_LINE = re.compile(
    rf"^\s*\*?(?:{_FROM_NAMES}|{_OTHER_NAMES})\s*:\*?(?:\s|$)", re.IGNORECASE
)

# A quoted line: ">" with at most three spaces before it.
QUOTE_LINE = re.compile(r"^ {0,3}>")

# Lines made only of separator characters ("____", "-----", "=====").
SEPARATOR_LINE = re.compile(r"^\s*(?:[-_=*]\s*){3,}$")

# RFC 3676 "-- " delimiter, and the common sloppy "--" variant.
SIGNATURE_DELIMITER = re.compile(r"^(?:-- ?|—|–)$")

# A mailing-list footer rule: a line of underscores.
UNDERSCORE_RULE = re.compile(r"^_{2,}\s*$")

# "-Abhishek Kona", "-- Tim", "~ Anna": a one-line closing name.
CLOSING_NAME = re.compile(r"^\s*(?:--?|–|—|~)\s?\w[\w.'’-]*(?: [\w.'’-]+){0,3}\s*$")

# Automatic mobile/app signatures.
MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:"
    r"Sent\s+from\s+my\s+[\w'’.-]+(?:\s+[\w'’.-]+){0,4}|"
    r"Sent\s+(?:from|with|via)\s+(?:Outlook|Yahoo|Mail\s+for|Samsung|ProtonMail|Proton\s+Mail|"
    r"Gmail|iPhone|iPad|Android|BlackBerry|Sparrow|Mailbird|Spark|Edison|AOL|Blue\s*Mail)"
    r"[^\n]{0,80}|"
    r"Get\s+Outlook\s+for\s+(?:iOS|Android)|"
    r"(?:Von|Gesendet\s+von)\s+meinem\s+[^\n]{1,60}|Gesendet\s+(?:mit|vom|von)\s+[^\n]{1,60}|"
    r"Wysłane\s+z\s+[^\n]{1,60}|Wysłano\s+z\s+[^\n]{1,60}|"
    r"Envoyé\s+(?:de|depuis)\s+(?:mon|ma)\s+[^\n]{1,60}|"
    r"Enviado\s+(?:desde\s+mi|do\s+meu|de\s+meu|de\s+mi)\s+[^\n]{1,60}|"
    r"Inviato\s+da(?:l\s+mio)?\s+[^\n]{1,60}|"
    r"Verzonden\s+(?:met|vanaf|van)\s+(?:mijn\s+)?[^\n]{1,60}|"
    r"Отправлено\s+(?:с|из)\s+[^\n]{1,60}"
    r")\s*$",
    re.IGNORECASE,
)

# A closing formula on its own line: what starts a "Thanks,\nName" block.
VALEDICTION = re.compile(
    r"^\s*(?:(?:many\s+|kind\s+|best\s+|warm\s+)?(?:thanks|thank\s+you|regards)(?:\s+again)?|"
    r"(?:best|kind|warm|warmest)(?:\s+wishes)?|best\s+regards|kind\s+regards|cheers|sincerely|"
    r"yours(?:\s+(?:truly|sincerely))?|greetings|all\s+the\s+best|"
    r"mit\s+freundlichen\s+grüßen|mfg|viele\s+grüße|beste\s+grüße|liebe\s+grüße|grüße|gruß|"
    r"pozdrawiam(?:\s+serdecznie)?|z\s+poważaniem|z\s+pozdrowieniami|dziękuję|dzięki|"
    r"cordialement|bien\s+cordialement|bien\s+à\s+vous|merci|salutations|"
    r"saludos|un\s+saludo|atentamente|cumprimentos|obrigad[oa]|saluti|cordiali\s+saluti|"
    r"met\s+vriendelijke\s+groet(?:en)?|groeten|"
    r"с\s+уважением|спасибо)"
    r"\s*[,.!]?\s*$",
    re.IGNORECASE,
)
