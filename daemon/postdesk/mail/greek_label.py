"""Greek text under a Western label: told apart from Western text by its words.

Greek bytes (ISO-8859-7, Windows-1253) read as ISO-8859-1 come out as letters, not
signs ("ÊáëçìÝñá óáò"), so the sign test that catches CJK and KOI8-R under a Latin
label (:mod:`postdesk.mail.charsets`) lets them through. What gives them away is
the shape of the words: a Greek word is 8-bit from its first letter to its last,
while a Western word carries an accent or two among plain letters. Only text whose
words are mostly such all-8-bit words, with enough letters in them, is read again
as Greek, and only when the Greek reading writes its words as Greek does, with one
accent (tonos) on nearly every word of two syllables or more, and looks more natural
(the caller compares). Text in capitals only stays as labelled: "ÀÉÎÕÜ" and
"ΐΙΞΥά" are the same bytes, and capitals carry no tonos to tell them apart.

Short Greek (a file name, a one-word subject) reads as plausibly in Windows-1251
as in Windows-1253; the tonos, which Russian read as Greek lacks, decides a tie.
"""

from __future__ import annotations

import re

#: The Greek codecs, the one a sender more likely used first.
GREEK_CODECS = ("cp1253", "iso8859_7")

#: Letters in all-8-bit words a Latin reading must hold before Greek is considered.
_MIN_LETTERS = 6

#: Of the long words of a Greek reading, this many tenths must carry one tonos.
_ACCENTED_TENTHS = 7

_WORD = re.compile(r"[^\W\d_]+")
_TONOS = frozenset("άέήίόύώΐΰΆΈΉΊΌΎΏ")


def looks_like_greek_read_as_latin(latin_text: str) -> bool:
    """True when most words of a Latin reading are 8-bit through and through."""
    words = _WORD.findall(latin_text[:4096])
    foreign = [word for word in words if len(word) >= 2 and not any(c.isascii() for c in word)]
    letters = sum(len(word) for word in foreign)
    return letters >= _MIN_LETTERS and len(foreign) * 2 >= len(words)


def accented_like_greek(text: str) -> bool:
    """True when most Greek words of four letters or more carry exactly one tonos."""
    long_words = [word for word in _WORD.findall(text[:4096])
                  if len(word) >= 4 and not word.isascii()]
    accented = sum(sum(char in _TONOS for char in word) == 1 for word in long_words)
    return bool(long_words) and accented * 10 >= len(long_words) * _ACCENTED_TENTHS


def greek_reading(data: bytes) -> str | None:
    """``data`` in the Greek codec that decodes it (ISO-8859-7 first when its capital
    alpha with tonos, 0xB6, is there and Windows-1253's, 0xA2, is not), or None."""
    iso_first = b"\xb6" in data and b"\xa2" not in data
    for codec in reversed(GREEK_CODECS) if iso_first else GREEK_CODECS:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return None
