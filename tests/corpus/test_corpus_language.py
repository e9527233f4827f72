"""Language detection reads a mail's opening first; on real mail it decides as reading the
whole (first 2,000 characters of the) text does.

The texts: the body of every message in ../shared/corpus (as the parser gives it) and
every plain-text file there as it is (reply fixtures in many languages, among them
German, Polish, Japanese, Russian). The decision compared is the language, or None
when detection is unsure, for the desk's shipped languages and for wider sets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from postdesk.mail.parse import parse_message
from postdesk.tickets import locale_guess
from postdesk.tickets.locale_guess import detect_language

pytestmark = pytest.mark.corpus

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
CANDIDATE_SETS = (
    ("de", "en", "pl"),
    ("de", "en"),
    ("de", "en", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru"),
)


def _texts() -> list[tuple[str, str]]:
    texts = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in (".eml", ".txt") or not path.is_file():
            continue
        name = str(path.relative_to(CORPUS))
        data = path.read_bytes()
        texts.append((name, parse_message(data).text))
        if path.suffix == ".txt":
            texts.append((name + " (as text)", data.decode("utf-8", errors="replace")))
    return texts


def _reading_everything(text: str, candidates: tuple[str, ...]) -> str | None:
    """The decision when detection always read the first 2,000 characters."""
    if sum(map(str.isalpha, text)) < locale_guess.MIN_LETTERS:
        return None
    identifier = locale_guess._identifier(tuple(sorted(candidates)))
    language, probability = identifier.classify(text[:2000])
    return str(language) if probability >= locale_guess.MIN_PROBABILITY else None


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str]]:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    return _texts()


@pytest.mark.parametrize("candidates", CANDIDATE_SETS, ids=",".join)
def test_reading_the_opening_first_decides_as_reading_everything(
        texts: list[tuple[str, str]], candidates: tuple[str, ...]) -> None:
    differ = [(name, expected, found) for name, text in texts
              if (expected := _reading_everything(text, candidates))
              != (found := detect_language(text, candidates))]
    assert not differ
    decided = [name for name, text in texts if _reading_everything(text, candidates)]
    assert len(texts) > 1000 and len(decided) > 800  # the corpus is there and mostly decided


def test_the_compacted_model_scores_exactly_as_py3langid_s_own(
        texts: list[tuple[str, str]]) -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    for candidates in CANDIDATE_SETS:
        ours = locale_guess._identifier(tuple(sorted(candidates)))
        assert not isinstance(ours.tk_output, list)  # compacted (locale_guess._compact_tables)
        theirs = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        theirs.set_languages(sorted(candidates))
        for _name, text in texts[::4]:
            assert ours.classify(text[:2000]) == theirs.classify(text[:2000])
            assert ours.rank(text[:300]) == theirs.rank(text[:300])


def test_a_long_text_is_judged_by_all_of_it_when_its_opening_is_unclear() -> None:
    english = ("Hello team, I am forwarding the message from our office in Berlin below, since "
               "I cannot read it myself. Could someone who speaks German please have a look at "
               "it and answer them? Thanks a lot, Anna. And one more thing: the printer on the "
               "third floor is fine again, the technician came this morning. ")
    german = ("Sehr geehrte Damen und Herren, seit gestern druckt unser Drucker im zweiten "
              "Stock nur noch leere Seiten. Wir haben den Toner gewechselt und das Gerät neu "
              "gestartet, leider ohne Erfolg. Können Sie uns bitte einen Techniker schicken? ")
    text = english + german * 6
    shipped = ("de", "en", "pl")
    # the opening alone looks English (sure enough for MIN_PROBABILITY, not for SURE_PROBABILITY)
    opening = locale_guess._identifier(shipped).classify(text[:locale_guess.OPENING_CHARS])
    assert opening[0] == "en" and locale_guess.MIN_PROBABILITY < opening[1] \
        < locale_guess.SURE_PROBABILITY
    assert detect_language(text, shipped) == _reading_everything(text, shipped) == "de"
