"""A light Polish stemmer: the longest inflectional ending off, the stem kept long enough.

Snowball has no Polish. Polish inflects nouns, adjectives and verbs by
endings, so cutting the longest known ending (keeping at least four letters,
three for short words) brings ``hasło``, ``hasła``, ``hasłem`` to ``hasł`` and
``resetować``, ``resetowanie``, ``resetowania`` to ``resetow``. It does not
undo stem alternations (``haseł``); a KB's aliases cover those. Measured on the
desk's own questions by ``bench/kb_search.py``.
"""

from __future__ import annotations

_LISTED = """
    owaniami owaniach owaniem owania owaniu owanie owanych owanego owanej owana owany
    owane ować uje ują ujesz ujemy ujecie uję ował owała owało owali owały
    aniami aniach aniem ania aniu anie eniami eniach eniem enia eniu enie
    nościami nościach ności ność nością
    ymi ami ach ych ich imi iej ego emu owie owi ów om em ie ym im ej ą ę
    ać eć ić yć ał ała ało ali ały ałem ałam ałam isz ysz esz emy ecie my cie
    a e i o u y
"""
_ENDINGS = sorted(set(_LISTED.split()), key=len, reverse=True)

_MIN_STEM = 4


def stem(word: str) -> str:
    """``word`` (lower case) without its longest inflectional ending."""
    for ending in _ENDINGS:
        if word.endswith(ending):
            rest = word[: len(word) - len(ending)]
            if len(rest) >= _MIN_STEM or (len(rest) >= 3 and len(word) <= 6):
                return rest
    return word
