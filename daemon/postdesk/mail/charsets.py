"""Charset repair: turn bytes from real mail into text without losing it.

Mail declares charsets wrongly all the time: ``us-ascii`` on 8-bit text,
Microsoft names Python does not know (``ks_c_5601-1987``), subsets where the
sender used the superset (``gb2312`` for GB18030 text, ``iso-8859-1`` for
Windows-1252), or nothing at all.  :func:`decode_text` tries the declared
charset (through a table of supersets and aliases) first, because that is
cheap and usually right; only when it fails does it detect the charset, and as
a last resort it decodes UTF-8 with replacement characters.
"""

from __future__ import annotations

import binascii
import codecs
import re
import unicodedata

import charset_normalizer

from postdesk.mail.greek_label import (
    accented_like_greek,
    greek_reading,
    looks_like_greek_read_as_latin,
)
from postdesk.mail.iso2022jp import iso2022jp_to_cp932

# Pseudo-codec: ISO-2022-JP with Microsoft's extensions (NEC circled digits,
# IBM kanji), which Python's iso2022 codecs reject, decoded via CP932.
_ISO2022JP_MICROSOFT = "x-iso2022jp-cp932"

# Declared names mapped to the codecs that actually decode what senders send.
_ALIASES: dict[str, tuple[str, ...]] = {
    "us-ascii": ("ascii",),
    "ascii": ("ascii",),
    "iso-8859-1": ("cp1252", "latin-1"),
    "iso8859-1": ("cp1252", "latin-1"),
    "latin1": ("cp1252", "latin-1"),
    "latin-1": ("cp1252", "latin-1"),
    "ks_c_5601-1987": ("cp949",),
    "ks_c_5601": ("cp949",),
    "ksc5601": ("cp949",),
    "ksc_5601": ("cp949",),
    "euc-kr": ("cp949",),
    "x-gbk": ("gb18030",),
    "gbk": ("gb18030",),
    "gb2312": ("gb18030",),
    "cp936": ("gb18030",),
    "x-gb2312": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "unicode-1-1-utf-7": ("utf-7",),
    "x-unicode-1-1-utf-7": ("utf-7",),
    "iso-8859-8-i": ("iso-8859-8",),
    "iso-8859-6-i": ("iso-8859-6",),
    "tis-620": ("cp874",),
    "windows-874": ("cp874",),
    "shift_jis": ("cp932", "shift_jis_2004"),
    "shift-jis": ("cp932", "shift_jis_2004"),
    "x-sjis": ("cp932", "shift_jis_2004"),
    "sjis": ("cp932", "shift_jis_2004"),
    "windows-31j": ("cp932",),
    "iso-2022-jp": ("iso2022_jp", "iso2022_jp_ext", _ISO2022JP_MICROSOFT),
    "euc-jp": ("euc_jp", "euc_jis_2004"),
    "x-euc-jp": ("euc_jp", "euc_jis_2004"),
    "macintosh": ("mac_roman",),
    "x-mac-roman": ("mac_roman",),
    "utf8": ("utf-8",),
    "utf-8": ("utf-8",),
}

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")

# Declared values that say nothing about the charset.
_NOT_A_CHARSET = frozenset(
    {"", "binary", "8bit", "7bit", "unknown", "unknown-8bit", "x-unknown", "default", "charset"}
)

# Single-byte charsets tried (and scored) for short undeclared 8-bit text,
# where statistical detection has too little to go on.
_SHORT_CANDIDATES = ("cp1252", "cp1250", "cp1251", "koi8-r", "cp1253", "iso-8859-2")

# Double-byte CJK codecs whose byte ranges overlap (and their detected names' prefixes).
_DOUBLE_BYTE_CJK = ("cp950", "big5", "gb18030", "gb2312", "gbk", "cp949", "euc_kr")

# Candidate decodings are scored on this much of the text.
_SCORING_SAMPLE = 4096

_LATIN_DECLARED = frozenset({"ascii", "cp1252", "latin-1"})

#: What a charset name may hold (RFC 2978 mime-charset characters). Anything else
#: ("utf\xff8", a NUL) names no charset, and handing it to ``codecs.lookup`` raises
#: UnicodeEncodeError or ValueError instead of LookupError.
_CHARSET_NAME = re.compile(r"[A-Za-z0-9!#$%&+\-^_`{}~.:()]{1,64}")


def normalize_charset_name(declared: str | None) -> str | None:
    """Return a lowercased charset name, or None when the value names no charset."""
    if declared is None:
        return None
    name = declared.strip().strip("\"'").lower()
    # RFC 2231 allows a language suffix ("utf-8*en").
    name = name.split("*", 1)[0]
    if name in _NOT_A_CHARSET or not _CHARSET_NAME.fullmatch(name):
        return None
    return name


def codec_candidates(declared: str | None) -> tuple[str, ...]:
    """Python codecs to try, in order, for a declared charset (empty when unknown)."""
    name = normalize_charset_name(declared)
    if name is None:
        return ()
    if name in _ALIASES:
        return _ALIASES[name]
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError):  # ValueError: names the codec machinery chokes on
        return ()
    if codec == "gb2312" or codec == "gbk":
        return ("gb18030",)
    return (codec,)


def decode_text(data: bytes, declared: str | None) -> str:
    """Decode ``data`` labelled with ``declared`` (maybe wrong or missing) to text."""
    if not data:
        return ""
    candidates = codec_candidates(declared)
    if data.isascii() and not _needs_real_codec(data, candidates):
        return data.decode("ascii")
    latin = bool(candidates) and candidates[0] in _LATIN_DECLARED
    if latin:
        # Senders label UTF-8 as latin-1 or ascii far more often than
        # latin-1 text happens to form valid UTF-8 sequences.
        text = _try_decode(data, "utf-8")
        if text is not None:
            return text
    for codec in candidates:
        text = _try_decode(data, codec)
        if text is not None:
            return _contradicted(data, text) if latin else text
    if "utf-8" in candidates:
        lenient = data.decode("utf-8", errors="replace")
        if _mostly_valid(lenient):
            return lenient
    return decode_undeclared(data)


#: The charsets that overrule a Western label: CJK and Cyrillic, whose bytes read as
#: Latin make no words at all (Greek or Turkish read as Latin can look like Latin).
_CONTRADICTING_CODECS = ("gb", "big5", "cp950", "cp936", "hz", "shift_jis", "cp932", "euc",
                         "iso2022", "cp949", "johab", "koi8", "cp1251", "cp866",
                         "iso8859_5", "iso-8859-5", "mac_cyrillic", "x-mac-cyrillic")
#: At least one 8-bit character in this many of a Latin reading is a sign (not a letter)
#: when the bytes are not Latin at all.
_SIGNS_IN_MOJIBAKE = 10
#: How much more natural the detected reading must look than the Western label's.
_CONTRADICTION_MARGIN = 2.0


def _contradicted(data: bytes, latin_text: str) -> str:
    """``latin_text``, or ``data`` read in the charset its bytes say when a Western label
    contradicts them (GB2312 or KOI8-R labelled ISO-8859-1 reads as mojibake).

    Western text is mostly ASCII with some accents; when most of the letters are 8-bit,
    the label is checked against detection and the more natural-looking reading wins.
    """
    high = sum(1 for byte in data[:_SCORING_SAMPLE] if byte >= 0x80)
    letters = sum(1 for byte in data[:_SCORING_SAMPLE] if byte >= 0x80 or chr(byte).isalpha())
    if high * 2 < letters:
        return latin_text
    # Western words are letters: 8-bit text read as Latin that is not (GB2312, KOI8-R)
    # is strewn with signs ("²âÊÔÓÊ¼þ", "Ó×ÑÚÉ"); "ÄäÖöÜü" is Latin, whatever detection says.
    signs = sum(1 for char in latin_text[:_SCORING_SAMPLE]
                if not char.isascii() and not char.isalpha())
    if signs * _SIGNS_IN_MOJIBAKE < high:
        return _greek_contradicted(data, latin_text)
    guess = guess_codec(data)
    if guess is None or not guess.startswith(_CONTRADICTING_CODECS):
        return latin_text
    return _more_natural(data.decode(guess, errors="replace"), latin_text)


def _more_natural(other: str, latin_text: str) -> str:
    """``other`` when it reads clearly more naturally than the Western label's reading."""
    sample = _SCORING_SAMPLE
    margin = plausibility(other[:sample]) - plausibility(latin_text[:sample])
    return other if margin > _CONTRADICTION_MARGIN else latin_text


def _greek_contradicted(data: bytes, latin_text: str) -> str:
    """Greek (or Windows-1251 Cyrillic) under a Western label reads as letters, not signs:
    see :mod:`postdesk.mail.greek_label`."""
    if not looks_like_greek_read_as_latin(latin_text):
        return latin_text
    greek = greek_reading(data)
    if greek is None or not accented_like_greek(greek):
        return latin_text
    guess = guess_codec(data)
    other = None if guess is None else _try_decode(data, guess)
    if other is not None and guess is not None and guess.startswith(_CONTRADICTING_CODECS) \
            and _beats_greek(other, greek):
        return _more_natural(other, latin_text)
    return _more_natural(greek, latin_text)


def _beats_greek(other: str, greek: str) -> bool:
    """A Cyrillic reading wins over the Greek one when it scores higher, or the same
    and the Greek reading lacks the one accent per word that Greek writes."""
    sample = _SCORING_SAMPLE
    difference = plausibility(other[:sample]) - plausibility(greek[:sample])
    return difference > 0 or (difference == 0 and not accented_like_greek(greek))


def decode_undeclared(data: bytes) -> str:
    """Decode bytes with no usable charset label: UTF-8, then detection."""
    text = _try_decode(data, "utf-8")
    if text is not None:
        return text
    guess = guess_codec(data)
    if guess is not None:
        return data.decode(guess, errors="replace")
    return data.decode("utf-8", errors="replace")


def guess_codec(data: bytes) -> str | None:
    """Guess the codec of 8-bit ``data`` that is not UTF-8; None when hopeless."""
    # charset-normalizer's guess competes with the usual single-byte suspects:
    # on its own it reads KOI8-R as Shift_JIS half-width katakana, for one.
    detected = _detect(data)
    if detected == "johab":
        # Korean mail is CP949; detection says Johab (hardly ever sent) for short Big5.
        detected = "cp949"
    options = list(_SHORT_CANDIDATES)
    if detected is not None and detected not in options:
        options.append(detected)
        if detected.startswith(_DOUBLE_BYTE_CJK):
            # Short Big5, GBK and CP949 share their byte ranges; detection takes one for
            # another ("謝謝" in Big5 as Korean), so the others compete with it.
            options.extend(c for c in _DOUBLE_BYTE_CJK if c != detected)
    sample = data[:_SCORING_SAMPLE]
    ascii_letters = sum(1 for byte in sample if 65 <= byte <= 90 or 97 <= byte <= 122)
    best: tuple[float, str] | None = None
    for codec in options:
        if _try_decode(data, codec) is None:
            continue
        text = sample.decode(codec, errors="ignore")
        # A multi-byte reading that swallows plain ASCII letters is almost always wrong.
        swallowed = ascii_letters - sum(1 for char in text if char.isascii() and char.isalpha())
        score = plausibility(text) - 2.0 * max(0, swallowed)
        if best is None or score > best[0] or (
                score == best[0] and codec == "cp1253" and accented_like_greek(text)):
            best = (score, codec)
    return best[1] if best else None


def plausibility(text: str) -> float:
    """Score how much ``text`` looks like natural language (higher is better).

    Wrong single-byte charsets turn words into symbols, mixed scripts or
    words in inverted case (KOI8-R read as Windows-1251 gives "ФЕУФ" for
    "тест"); this favours lowercase letters within one script per word.
    """
    score = 0.0
    for word in text.split():
        score += _word_score(word)
    return score


def _word_score(word: str) -> float:
    score = 0.0
    scripts: set[str] = set()
    ascii_letters = accented_latin = 0
    for index, char in enumerate(word):
        if char.isascii():
            ascii_letters += char.isalpha()
            continue
        category = unicodedata.category(char)
        if category == "Ll":
            score += 1.0
        elif category == "Lu":
            score += 0.5 if index == 0 else -0.5
        elif category == "Lo":
            # Half-width katakana is what 8-bit Cyrillic/Greek looks like as Shift_JIS;
            # Arabic presentation forms are what 8-bit Latin looks like in some codecs.
            score += -1.0 if _is_mojibake_form(char) or _is_rare_hangul(char) else 1.5
        else:
            score -= 2.0
        if category.startswith("L"):
            script = _script_of(char)
            scripts.add(script)
            accented_latin += script == "LATIN"
    if accented_latin >= 2 and accented_latin > ascii_letters:
        # Real Latin-script words are mostly plain letters; "ôåóô" is mojibake.
        score -= 1.5 * accented_latin
    if len(scripts) > 1:
        score -= 3.0 * (len(scripts) - 1)
    if ascii_letters and scripts - {"LATIN"}:
        score -= 3.0  # "Жrш": plain letters inside a word of another script are mojibake
    return score


def _is_mojibake_form(char: str) -> bool:
    return "\uff61" <= char <= "\uff9f" or "\ufb50" <= char <= "\ufdff" or \
        "\ufe70" <= char <= "\ufeff"


def _is_rare_hangul(char: str) -> bool:
    """A Hangul syllable outside KS X 1001's 2,350 (the ones Korean text is written in):
    what Big5 or GBK bytes read as CP949 look like ("촥촥쎸쀀" for "謝謝您的")."""
    if not "\uac00" <= char <= "\ud7a3":
        return False
    try:
        char.encode("euc_kr")
    except UnicodeEncodeError:
        return True
    return False


def _script_of(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0]


def _needs_real_codec(data: bytes, candidates: tuple[str, ...]) -> bool:
    # ASCII bytes mean ASCII text except in 7-bit encodings (ISO-2022 escapes,
    # HZ, UTF-7) and wide ones.
    if b"\x1b" in data or b"~{" in data:
        return True
    return any(
        c.startswith(("utf-7", "utf_7", "utf-16", "utf_16", "utf-32", "utf_32")) for c in candidates
    )


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        if codec == _ISO2022JP_MICROSOFT:
            return iso2022jp_to_cp932(data).decode("cp932")
        return data.decode(codec)
    except (LookupError, ValueError):  # UnicodeDecodeError is a ValueError
        return None


def _mostly_valid(text: str) -> bool:
    replaced = text.count("\ufffd")
    decoded = sum(1 for char in text if not char.isascii()) - replaced
    return decoded > replaced


def _detect(data: bytes) -> str | None:
    try:
        best = charset_normalizer.from_bytes(data).best()
    except Exception:  # detection is a best effort; never let it break parsing
        return None
    if best is None:
        return None
    return str(best.encoding)


def repair_surrogates(value: str, fallback: str | None = None) -> str:
    """Repair a header string holding raw 8-bit bytes as surrogate escapes.

    The stdlib parser keeps undeclared 8-bit header bytes as lone surrogates;
    they are decoded as UTF-8 when valid, else with ``fallback``, else guessed.
    """
    if value.isascii() or not _has_surrogates(value):
        return value
    raw = value.encode("utf-8", errors="surrogateescape")
    text = _try_decode(raw, "utf-8")
    if text is not None:
        return text
    if fallback is not None:
        text = _try_decode(raw, fallback)
        if text is not None:
            return text
    codec = guess_codec(raw)
    return raw.decode(codec or "latin-1", errors="replace")


_UTF7_RUN = re.compile(r"\+[A-Za-z0-9+/]{2,}-?")
_ISO2022_CODECS = ("iso2022_jp", "iso2022_jp_ext", _ISO2022JP_MICROSOFT, "iso2022_kr")


def repair_seven_bit(value: str, body_codecs: tuple[str, ...]) -> str:
    """Decode raw 7-bit encodings that some mailers put straight into headers.

    Old Japanese mailers write ISO-2022-JP escape sequences without RFC 2047;
    Netscape wrote UTF-7 headers when the body was UTF-7.
    """
    if "\x1b" in value:
        raw = value.encode("utf-8", errors="surrogateescape")
        for codec in _ISO2022_CODECS:
            text = _try_decode(raw, codec)
            if text is not None:
                return text
    utf7_body = "utf-7" in body_codecs and "=?" not in value and value.isascii()
    if utf7_body and _UTF7_RUN.search(value):
        return _try_decode(value.encode("ascii"), "utf-7") or value
    return value


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in value)


def decode_encoded_words(text: str) -> str:
    """Decode RFC 2047 encoded-words anywhere in ``text``, also malformed ones.

    Words are found even without surrounding blanks; whitespace between two
    words is dropped; adjacent words in one charset are joined before decoding
    so characters split across words survive; undecodable words stay as written.
    """
    pieces: list[tuple[str | None, bytearray | str]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        literal = text[position : match.start()]
        position = match.end()
        after_word = bool(pieces) and pieces[-1][0] is not None
        if literal and not (literal.isspace() and after_word):
            pieces.append((None, literal))
        charset = normalize_charset_name(match.group(1)) or "us-ascii"
        decoded = _decode_word(match.group(2), match.group(3))
        if decoded is None:
            pieces.append((None, match.group(0)))
        elif pieces and pieces[-1][0] == charset:
            previous = pieces[-1][1]
            assert isinstance(previous, bytearray)
            previous += decoded  # in place: thousands of words cost their length, not its square
        else:
            pieces.append((charset, bytearray(decoded)))
    pieces.append((None, text[position:]))
    return "".join(_render_piece(charset, data) for charset, data in pieces)


def _render_piece(charset: str | None, data: bytearray | str) -> str:
    if isinstance(data, str):
        return data
    return decode_text(bytes(data), charset)


def lenient_base64(encoded: bytes) -> bytes:
    """Decode base64 that lost characters or padding: keep every whole byte."""
    cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", encoded)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    try:
        return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4))
    except binascii.Error:
        return b""


def _decode_word(kind: str, payload: str) -> bytes | None:
    try:
        if kind in "bB":
            return lenient_base64(payload.encode("ascii", errors="ignore"))
        return binascii.a2b_qp(payload.encode("utf-8", errors="surrogateescape"), header=True)
    except (binascii.Error, ValueError):
        return None
