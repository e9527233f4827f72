"""An agent's initials in a coloured circle: who wrote, at a glance, without a photo.

The colour is chosen from the person's name (or address) by a stable hash, so
the same agent has the same colour in every mail; every colour of the palette
carries white text at WCAG AA contrast (`notify.colours`).
"""

from __future__ import annotations

import hashlib

from markupsafe import Markup, escape

#: Darker shades of distinct hues, each at least 4.5:1 with white text.
PALETTE = ("#1d4ed8", "#047857", "#b91c1c", "#6d28d9", "#a21caf", "#c2410c", "#0f766e",
           "#4338ca", "#be185d", "#4d7c0f")
TEXT = "#ffffff"


def initials(name: str) -> str:
    """Up to two capital letters: the first and last word's ("Anna Maria Nowak" -> "AN");
    from an address, its first letter ("anna@example.com" -> "A")."""
    words = [w for w in name.split("@")[0].replace(".", " ").split() if w[:1].isalpha()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def badge_colour(key: str) -> str:
    """The palette colour of a person (`key`: their name or address), the same every time."""
    digest = hashlib.sha256(key.strip().casefold().encode("utf-8")).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def badge(name: str | None) -> Markup:
    """The HTML badge of `name` (empty without one)."""
    if not name or not name.strip():
        return Markup("")
    return Markup(
        '<span aria-hidden="true" style="display:inline-block;width:28px;height:28px;'
        'line-height:28px;border-radius:14px;text-align:center;font-size:12px;'
        f'font-weight:bold;background-color:{badge_colour(name)};color:{TEXT};">'
        f"{escape(initials(name))}</span>")
