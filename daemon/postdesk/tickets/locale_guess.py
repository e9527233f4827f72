"""A new customer's language and time zone, from what their first mail says.

Language: Content-Language, then Accept-Language (the parser collects both),
then the language of the first mail's text among the languages the desk
writes in (py3langid, only when it is sure), else the desk default.

Detection reads at most the first 2,000 characters. Its cost grows with the
text, so it reads the first 500 first and stops there when they leave no doubt
(a probability of 0.99999, far above the 0.95 it needs to decide); only a text
whose opening is less clear is read again in full. On the 1,400 texts of the
shared mail corpus this decides exactly as reading 2,000 characters always did
(tests/corpus/test_corpus_language.py).

Time zone: a mail says only its UTC offset (the Date header); when that
offset is exactly what the usual zone of the customer's language shows at
that moment (Polish and +01:00 in winter: Europe/Warsaw), that zone is
taken; otherwise the desk's zone.
"""

from __future__ import annotations

import mmap
import threading
from array import array
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

#: The zone most speakers of a language live in, where one zone clearly dominates.
USUAL_ZONES: dict[str, str] = {
    "pl": "Europe/Warsaw", "de": "Europe/Berlin", "de_AT": "Europe/Vienna",
    "de_CH": "Europe/Zurich", "cs": "Europe/Prague", "sk": "Europe/Bratislava",
    "fr": "Europe/Paris", "it": "Europe/Rome", "es": "Europe/Madrid", "nl": "Europe/Amsterdam",
    "da": "Europe/Copenhagen", "sv": "Europe/Stockholm", "nb": "Europe/Oslo",
    "fi": "Europe/Helsinki", "hu": "Europe/Budapest", "ro": "Europe/Bucharest",
    "el": "Europe/Athens", "uk": "Europe/Kyiv", "ja": "Asia/Tokyo", "ko": "Asia/Seoul",
    "en_GB": "Europe/London", "pt": "Europe/Lisbon", "pt_BR": "America/Sao_Paulo",
}


#: Detection decides only on this much text and with this much confidence.
MIN_LETTERS = 20
MIN_PROBABILITY = 0.95
#: The most of a text detection reads.
MAX_CHARS = 2000
#: Read first; enough when its answer is at least this sure.
OPENING_CHARS = 500
SURE_PROBABILITY = 0.99999

_identifiers: dict[tuple[str, ...], Any] = {}
_lock = threading.Lock()


def guess_language(languages: Sequence[str], default: str, *, text: str = "",
                   shipped: Sequence[str] = ()) -> str:
    declared = next((language for language in languages if language), None)
    if declared:
        return declared
    return detect_language(text, shipped) or default


def detect_language(text: str, candidates: Sequence[str], *,
                    min_letters: int = MIN_LETTERS) -> str | None:
    """The language of `text` among `candidates`, or None when unsure or too short (fewer
    than `min_letters` letters: `postdesk kb search` asks 1, a question being short)."""
    if len(candidates) < 2 or not _has_letters(text, min_letters):
        return None
    identifier = _identifier(tuple(sorted(candidates)))
    if len(text) > OPENING_CHARS:
        language, probability = identifier.classify(text[:OPENING_CHARS])
        if probability >= SURE_PROBABILITY:
            return str(language)
    language, probability = identifier.classify(text[:MAX_CHARS])
    return str(language) if probability >= MIN_PROBABILITY else None


def load_model(candidates: Sequence[str]) -> None:
    """Load the detection model for `candidates` now (it is loaded once per process and
    candidate set), so that no mail waits for it."""
    if len(candidates) >= 2:
        _identifier(tuple(sorted(candidates)))


def _has_letters(text: str, count: int) -> bool:
    """At least `count` letters in `text` (the opening usually has them: not all counted)."""
    return (sum(map(str.isalpha, text[:OPENING_CHARS])) >= count
            or sum(map(str.isalpha, text)) >= count)


def _identifier(candidates: tuple[str, ...]) -> Any:
    with _lock:  # the model is loaded once per process and language set
        if candidates not in _identifiers:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages([c.split("_")[0] for c in candidates])
            _drop_other_languages(identifier)
            _compact_tables(identifier)
            _identifiers[candidates] = identifier
        return _identifiers[candidates]


def _drop_other_languages(identifier: Any) -> None:
    """Let go of the model's weights for every language but the candidates.

    py3langid keeps the whole model (`_full_model`: 142 languages, 28 MB) beside the
    candidates' columns so that `set_languages` can be called again; each candidate set
    here has an identifier of its own and never calls it again. Held by the daemon and
    the worker processes' fork server, it was the largest single block of an idle desk
    (bench/memory.py --idle)."""
    if hasattr(identifier, "_full_model"):
        identifier._full_model = None
    if hasattr(identifier, "tk_row"):  # read only to build `_rowbase`
        identifier.tk_row = None


def _compact_tables(identifier: Any) -> None:
    """Lay the model's state machine out for a cold cache; the numbers stay the same,
    so do the answers (tests/corpus/test_corpus_language.py compares with py3langid).

    Reading a byte looks up three tables: the next state (40 MB), the state's row offset
    and its feature. By the time the next new customer writes, a worker's cache holds
    none of them, so detection costs several times what it costs in a loop. Offsets
    and features become flat arrays of machine integers (py3langid keeps them as lists
    of int objects: two more scattered reads per byte), and the 40 MB table is copied
    to memory the kernel may back with huge pages (far fewer TLB misses). About a
    quarter less CPU per detection in a worker. Anything unexpected: left as it is."""
    rowbase, output = getattr(identifier, "_rowbase", None), getattr(identifier, "tk_output", None)
    if isinstance(rowbase, list) and isinstance(output, list):
        with suppress(TypeError, OverflowError):
            identifier._rowbase, identifier.tk_output = array("i", rowbase), array("i", output)
    moves = getattr(identifier, "tk_nextmove", None)
    if isinstance(moves, array) and hasattr(mmap, "MADV_HUGEPAGE"):
        try:
            region = mmap.mmap(-1, len(moves) * moves.itemsize,
                               flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            region.madvise(mmap.MADV_HUGEPAGE)
            table: Any = memoryview(region).cast(moves.typecode)  # type: ignore[arg-type]
            table[:] = memoryview(moves)
        except (OSError, ValueError, TypeError):
            return
        identifier.tk_nextmove = table


def guess_timezone(language: str, sent_at: datetime | None, default: str) -> str:
    """The usual zone of `language` if the mail's offset matches it, else `default`."""
    if sent_at is None or sent_at.utcoffset() is None:
        return default
    zone = USUAL_ZONES.get(language) or USUAL_ZONES.get(language.split("_")[0])
    if zone is None:
        return default
    if sent_at.astimezone(ZoneInfo(zone)).utcoffset() == sent_at.utcoffset():
        return zone
    return default
