"""The satisfaction scales (`[csat] scale`) and reading a rating out of a reply. Pure.

A rating is a whole number from 1 (worst) to the scale's size: `1-5` is five
digits, `faces` three faces (1 = 😞, 2 = 😐, 3 = 🙂). CSAT is the share of
*top* ratings: 4 and 5 of five, 🙂 of the faces.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the survey mail's template (templates/email/satisfaction_survey.*)
SURVEY_TEMPLATE = "satisfaction_survey"

FACES = ("😞", "😐", "🙂")
#: emoji presentation and skin-tone marks a mail client may add to a face
_DECORATION = "\ufe0f\ufe0e\u200d"
#: what may stand around a lone digit or face in a reply: spaces, a full stop, "!"
_AROUND = " \t\r\n.!"


@dataclass(frozen=True)
class Scale:
    name: str
    labels: tuple[str, ...]  # shown for each rating, 1 first
    top: int  # the lowest rating that counts as satisfied

    @property
    def ratings(self) -> range:
        return range(1, len(self.labels) + 1)

    def label(self, rating: int) -> str:
        return self.labels[rating - 1]


SCALES = {"1-5": Scale("1-5", ("1", "2", "3", "4", "5"), top=4),
          "faces": Scale("faces", FACES, top=3)}


def scale_of(name: str) -> Scale:
    """The scale `name` (`[csat] scale`, or as stored with a survey)."""
    return SCALES[name]


def rating_in_reply(text: str, scale: Scale) -> int | None:
    """The rating a reply's new text is, when it is nothing but one: a digit of the
    scale or one of the faces (a face answers a five-point survey as 1, 3 or 5);
    None for anything else, which is an ordinary reply."""
    answer = "".join(ch for ch in text.strip(_AROUND) if ch not in _DECORATION)
    if answer.isascii() and answer.isdigit() and int(answer) in scale.ratings:
        return int(answer)
    if answer in FACES:
        face = FACES.index(answer)
        return face + 1 if scale.name == "faces" else (1, 3, 5)[face]
    return None
