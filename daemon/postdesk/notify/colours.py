"""How readable one colour is on another: the WCAG 2 contrast ratio.

Mail clients show our colours as they are (or invert them in dark mode), so a
desk colour too light for the white mail background makes its name and
headings hard to read. `postdesk check` warns about that, and the template
tests hold every text colour of the shipped mails to the same measure.
"""

from __future__ import annotations

#: WCAG 2 level AA: body text, and large or bold text (18px bold and up).
TEXT_CONTRAST = 4.5
LARGE_TEXT_CONTRAST = 3.0


def relative_luminance(colour: str) -> float:
    """Luminance of a ``#rgb`` / ``#rrggbb`` colour, 0 (black) to 1 (white)."""
    digits = colour.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    if len(digits) != 6:
        raise ValueError(f"not a hex colour: {colour!r}")
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(one: str, other: str) -> float:
    """1 (the same) to 21 (black on white), whichever colour is the lighter."""
    high, low = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)
