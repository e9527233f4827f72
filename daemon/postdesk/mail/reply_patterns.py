"""Multilingual line patterns for reply extraction (see :mod:`postdesk.mail.reply`).

The words come from the per-language table in :mod:`postdesk.mail.reply_languages`.
Every pattern is matched against ONE line (or at most three joined lines) that
the caller has already cut to :data:`MAX_PATTERN_LINE` characters, and none
nests unbounded quantifiers, so matching stays linear in the input size.
"""

from __future__ import annotations

import re

from postdesk.mail.reply_languages import LANGUAGES, RECIPIENT_HEADER_NAMES

# Lines longer than this are never attribution lines, headers or signatures.
MAX_PATTERN_LINE = 400


def _words(kind: str, *, bounded: bool = True) -> str:
    """One alternation of every language's ``kind`` fragments, longest first.

    ``bounded`` wraps the words of spaced languages in word boundaries; the words of
    unspaced languages (Chinese) match anywhere.
    """
    spaced = sorted({w for lang in LANGUAGES if lang.spaced for w in getattr(lang, kind)},
                    key=len, reverse=True)
    unspaced = sorted({w for lang in LANGUAGES if not lang.spaced for w in getattr(lang, kind)},
                      key=len, reverse=True)
    parts = []
    if spaced:
        joined = "|".join(spaced)
        parts.append(rf"(?<!\w)(?:{joined})(?!\w)" if bounded else f"(?:{joined})")
    if unspaced:
        parts.append(f"(?:{'|'.join(unspaced)})")
    return "|".join(parts)


# "On <date>, <name> wrote:" and friends: the verb that says "wrote".
WROTE_VERB = re.compile(f"(?:{_words('wrote')})", re.IGNORECASE)

# Words that open an attribution line ("On", "Am", "W dniu", "Le", ...), or a date.
ATTRIBUTION_OPENER = re.compile(rf"^\s*(?:{_words('openers')}|\d)", re.IGNORECASE)

# The colon that ends an attribution or a header name: ASCII or full-width (CJK).
COLONS = (":", "\uff1a")

# A clock time ("13:53", "9:05") in a Gmail/Mail.ru "<date> Name <addr>:" line.
CLOCK_TIME = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)")

# "-----Original Message-----" and its translations (QQ Mail pads with spaces).
ORIGINAL_MESSAGE = re.compile(
    rf"^\s*-{{2,}}\s*(?:{_words('original_message', bounded=False)})\s*-{{2,}}\s*$",
    re.IGNORECASE,
)

# "---------- Forwarded message ----------": what follows is content, not history.
FORWARD_MARKER = re.compile(
    rf"^\s*-{{2,}}\s*(?:{_words('forwarded', bounded=False)})\s*-{{2,}}\s*$"
    rf"|^\s*(?:{_words('forwarded_intro', bounded=False)})\s*[:\uff1a]?\s*$",
    re.IGNORECASE,
)

# The dashed form alone, searched for in a whole text in one C-speed pass; possessive
# runs, so that a line of 200,000 dashes is not tried again at each of its lengths.
FORWARD_DASH_LINE = re.compile(
    rf"^[ \t]*+-{{2,}}+[ \t]*+(?:{_words('forwarded', bounded=False)})[ \t]*+-{{2,}}+[ \t]*+$",
    re.IGNORECASE | re.MULTILINE,
)

# Header lines of an unquoted Outlook/Hotmail/Apple history block.
_FROM_NAMES = _words("from_names", bounded=False)
_OTHER_NAMES = _words("header_names", bounded=False)
FROM_HEADER = re.compile(rf"^\s*\*?(?:{_FROM_NAMES})\s*[:\uff1a]\*?\s*\S", re.IGNORECASE)
RECIPIENT_HEADER = re.compile(
    rf"^\s*\*?(?:{'|'.join(RECIPIENT_HEADER_NAMES)})\s*[:\uff1a]", re.IGNORECASE)
HEADER_LINE = re.compile(
    rf"^\s*\*?(?:{_FROM_NAMES}|{_OTHER_NAMES})\s*[:\uff1a]\*?(?:\s|$)", re.IGNORECASE
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

# Automatic mobile/app signatures ("Sent from my iPhone"), a line of their own.
MOBILE_SIGNATURE = re.compile(
    rf"^\s*(?:{_words('mobile', bounded=False)})\s*$", re.IGNORECASE)

# The desk's reply marker ("##- Please type your reply above this line -##", in the
# recipient's language), quoted or not: the text between the marks may be any words.
REPLY_MARKER = re.compile(r"^[\s>|]*##-\s[^\n]{1,120}?\s-##\s*$")

# A closing formula on its own line: what starts a "Thanks,\nName" block.
VALEDICTION = re.compile(
    rf"^\s*(?:{_words('valedictions', bounded=False)})\s*[,.!\uff0c\u3002\uff01]?\s*$",
    re.IGNORECASE,
)

# A line of a corporate signature block: phone, web or mail address, "|"-separated
# title, or a "Tel:"/"M:" label.
CONTACT_LINE = re.compile(
    r"\+?\d[\d \t().\-/]{6,24}\d|www\.|https?://|[\w.+-]{1,64}@[\w-]{1,63}\.\w|\s\|\s"
    r"|^\s*(?:tel|phone|mobile|mob|cell|fax|t|m|f|e|p|web|email|e-mail|telefon|tél|"
    r"тел)\.?\s*[:.]",
    re.IGNORECASE,
)

# The name that opens a corporate signature block: one to four words, the first
# capitalised (Latin or Cyrillic), no sentence punctuation.
NAME_LINE = re.compile(
    r"^\s*[A-ZÀ-ÖØ-ÞŁŚŻŹĆŃÓА-ЯЁІЇЄҐ][\w'’.-]*(?:[ \t]+[\w'’.-]+){0,3}\s*,?\s*$"
)

# A legal disclaimer paragraph: how it opens, and the word it always contains.
DISCLAIMER_START = re.compile(
    r"^\s*(?:\*+\s*)?(?:confidential|disclaimer|privileged|important|notice|"
    r"this (?:e-?mail|message|communication|transmission)|the information (?:contained )?in"
    r"|diese (?:e-?mail|nachricht)|ta wiadomość|niniejsza wiadomość|ce (?:message|courriel)"
    r"|este (?:correo|mensaje)|questo messaggio|dit (?:bericht|e-?mailbericht)"
    r"|esta mensagem|det här (?:meddelandet|e-?postmeddelandet)|это (?:сообщение|письмо)"
    r"|цей (?:лист|повідомлення)|本邮件|本郵件|此邮件)",
    re.IGNORECASE,
)
DISCLAIMER_WORD = re.compile(
    r"confidential|vertraulich|poufn|confidentiel|confidencial|riservat|vertrouwelijk"
    r"|konfidentiell|конфиденц|конфіденц|保密|機密|intended (?:solely |only )?for",
    re.IGNORECASE,
)
