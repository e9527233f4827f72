"""The words of a mail as duplicate detection compares them (pure).

`terms` keeps the words that say what the problem is: case folded, Unicode
normalised, stop words of English, Polish and German dropped, each word cut to
its first `PREFIX` letters (a stemmer for the poor that serves all three
languages alike: "deleting" and "delete", "drukarka" and "drukarki" meet).
`exact_key` fingerprints the whole text for "the same mail again", with the
sender (two customers' identical words are never one delivery) and the files
(the same words with another screenshot are a new mail).

Only the first `MAX_CHARS` characters count for the terms: the start of a mail
says what it is about, and a hostile mail cannot make intake slow; the exact
key reads all of it. This module is meant to be
swapped for the knowledge base's word normaliser when both exist.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

#: Letters a word is cut to.
PREFIX = 4
#: Characters of a mail that count.
MAX_CHARS = 4000

_WORD = re.compile(r"[^\W_]+")

_STOP_TEXT = """
a about all also am an and any are as at be been but by can could did do does doesnt
dont for from get got had has have he her his how i id im if in into is it its just like
me my need no not of on or our please problem she so some than that the their them there
these they this those to up us use was way we were what when where which who why will
with would you your hello hi thanks thank regards help issue since cannot cant every few
keep keeps still again already really very much anymore a aby albo ale bo by być czy dla
do i jak jest jestem już ma mam mi mnie mój moja na nie o od po pod przez się są ta tak
te to tu w we z za że ze dzień dobry pozdrawiam dziękuję aber als am an auch auf aus bei
bin bis das dass dem den der des die doch du ein eine einen er es für hat habe hallo ich
ihr im in ist ja kann mein meine mit nicht noch nur oder sich sie so und uns von vom was
wie wir zu zum zur danke gruß grüße bitte
"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())


def words(text: str) -> list[str]:
    """The text's words, Unicode normalised and case folded (at most MAX_CHARS read)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text[:MAX_CHARS]).casefold())


def terms(text: str) -> Counter[str]:
    """How often each meaningful word (cut to PREFIX letters) occurs in the text."""
    return Counter(word[:PREFIX] for word in words(text)
                   if len(word) > 1 and word not in _STOP_WORDS and not word.isdigit())


def exact_key(sender: str, text: str, files: Iterable[bytes] = ()) -> str:
    """Fingerprint of the sender, the whole text (case folded, runs of white space as one
    space) and the files: the same mail sent again (another Message-ID, other line breaks)
    has the same key; another word anywhere, or another attachment, makes another key."""
    canonical = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    digest = hashlib.sha256(f"{sender.strip().casefold()}\n{canonical}".encode())
    for file_digest in sorted(hashlib.sha256(data).digest() for data in files):
        digest.update(file_digest)
    return digest.hexdigest()
