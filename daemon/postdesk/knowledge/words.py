"""Text -> the words a search compares: folded, stemmed, stop words dropped.

`words(text, language)` is the one normalisation every index and query goes
through, so an article and a question meet on the same forms. English and
German use the Snowball stemmers (PyStemmer); Snowball has no Polish, so Polish
uses the light suffix stemmer of :mod:`postdesk.knowledge.polish`. After
stemming, diacritics are folded (``hasło`` = ``haslo``, ``zurücksetzen`` =
``zurucksetzen``): customers type both. German compounds are split by
:func:`split_compound` against a vocabulary (the articles' own words).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable
from functools import lru_cache

import Stemmer

from postdesk.knowledge.polish import stem as polish_stem

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SNOWBALL = {"en": "english", "de": "german"}
_FOLD = str.maketrans({"ł": "l", "ß": "ss", "ø": "o", "đ": "d"})

def _listed(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words too common to tell articles apart, per language (before stemming).
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _listed("""a an and are as at be but by can could do does did for from has have
        how i if in into is it its me my no not of on or our please so that the their them
        then there these this to was we were what when where which who why will with would
        you your hi hello thanks thank regards dear like way possible want anyone know any
        some also just able need there is are am"""),
    "de": _listed("""der die das den dem des ein eine einen einem einer und oder aber ich
        du sie er es wir ihr mein meine meinen mir mich ist sind war bin hat habe haben kann
        können konnte wie was wo wann warum mit von zu zum zur im in an am auf für bei aus
        nicht kein keine nach bitte hallo danke gruß grüße viele sehr geehrte liebe so
        auch noch schon man sich dass"""),
    "pl": _listed("""i a o u w we z ze na do od po za że jak czy co to ten ta te jest są
        był była było mam ma mój moja moje mnie mi się nie tak jest proszę dzień dobry
        witam pozdrawiam dziękuję dzięki jak gdzie kiedy dlaczego mogę można by już"""),
}


def fold(word: str) -> str:
    """``word`` without diacritics (``hasło`` -> ``haslo``)."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Callable[[str], str]:
    snowball = _SNOWBALL.get(language)
    if snowball is not None:
        stemmer = Stemmer.Stemmer(snowball)
        stemmer.maxCacheSize = 0  # `stemmer_of` keeps the words stemmed before
        return stemmer.stemWord
    if language == "pl":
        return polish_stem
    return lambda word: word


def base_language(language: str | None) -> str:
    """``pt_BR`` -> ``pt``; None -> ``en``."""
    return (language or "en").replace("-", "_").split("_", 1)[0].lower()


#: Every ASCII character that is not a letter or a digit, as a space: what `tokens` splits at.
_ASCII_BREAKS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
#: The same for ASCII bytes, upper case to lower case on the way.
_ASCII_BYTES = bytes(c if chr(c).isalnum() else ord(" ") for c in range(256)).lower()


def tokens(text: str) -> list[str]:
    """The words of ``text``, lower-cased, in order: the runs of letters and digits
    (``[^\\W_]+``). That pattern costs some 300 instructions a character, a third of a
    suggestion's search: the text is cut at ASCII breaks and white space in C instead
    (an ASCII text in one table look-up a byte), and only a piece with some other
    character in it (``don’t``) goes through the pattern."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_BYTES).decode("ascii").split()
    found = []
    for piece in text.lower().translate(_ASCII_BREAKS).split():
        if piece.isalnum():
            found.append(piece)
        else:
            found += _WORD.findall(piece)
    return found


#: Words stemmed and folded, per base language: a mail's words are mostly ones seen before,
#: and a dictionary look-up costs a tenth of the stemmer's call (bench/worker_cpu.py).
_STEMS_KEPT = 20000
_stems: dict[str, dict[str, str]] = {}


@lru_cache(maxsize=16)
def stemmer_of(language: str) -> Callable[[str], str]:
    """`stem` for one language, with the words stemmed before kept."""
    lang = base_language(language)
    kept = _stems.setdefault(lang, {})
    stemmer = _stemmer(lang)

    def stem_word(word: str) -> str:
        found = kept.get(word)
        if found is None:
            found = fold(stemmer(word))
            if len(kept) >= _STEMS_KEPT:
                kept.clear()
            kept[word] = found
        return found

    return stem_word


def stem(word: str, language: str) -> str:
    """One lower-case word as the index compares it."""
    return stemmer_of(language)(word)


def kept_tokens(text: str, language: str) -> list[str]:
    """The words of ``text`` that count in ``language`` (lower case, not stemmed): stop
    words and one-letter words left out."""
    stops = STOP_WORDS.get(base_language(language), frozenset())
    return [t for t in tokens(text) if t not in stops and len(t) > 1]


def stemmed(found: Iterable[str], language: str) -> list[str]:
    """`stem` of each word of `found`: one seen before costs a dictionary look-up and no
    call (a search stems a hundred words a mail)."""
    stem_word = stemmer_of(language)
    kept = _stems[base_language(language)]
    return [kept.get(word) or stem_word(word) for word in found]


def words(text: str, language: str) -> list[str]:
    """The stemmed, folded words of ``text`` in ``language``, stop words left out."""
    return stemmed(kept_tokens(text, language), language)


#: German linking elements between the parts of a compound (Fugenelemente).
_LINKS = ("", "s", "es", "n", "en", "e")
_MIN_PART = 3


def split_compound(word: str, language: str, known: Collection[str]) -> list[str]:
    """The stems of the parts of ``word`` (lower case) when it is a compound of words in
    ``known`` (stems), else []: ``firmenmails`` -> [``firm``, ``mail``]. German only; the
    split with the longest known head wins, one level deep on each side."""
    if base_language(language) != "de" or len(word) < 2 * _MIN_PART:
        return []
    best: list[str] = []
    for cut in range(len(word) - _MIN_PART, _MIN_PART - 1, -1):
        head, rest = word[:cut], word[cut:]
        tail = stem(rest, "de")
        for link in _LINKS:
            if link and not head.endswith(link):
                continue
            modifier = head[: len(head) - len(link)] if link else head
            if len(modifier) < _MIN_PART:
                continue
            first = stem(modifier, "de")
            if first in known and tail in known:
                return [first, tail]
            if not best and (first in known or tail in known) and min(len(modifier),
                                                                    len(rest)) >= 4:
                best = [first, tail]  # one part known: still better than none
    return best
