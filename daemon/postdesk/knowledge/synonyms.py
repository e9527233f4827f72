"""Words customers use for the same thing, per language: a question's words widened.

A knowledge base's aliases name the questions of one article; these groups are
the everyday synonyms of any IT help desk ("remove" for "delete", "fb" for
"facebook", "Kennwort" for "Passwort", "komórka" for "telefon"). A question's
word found here also looks for the other words of its group, at a lower
weight (`SYNONYM_WEIGHT`), so an article that uses the customer's own word
still ranks first. An admin adds more with an article's `aliases`.
"""

from __future__ import annotations

from functools import lru_cache

from postdesk.knowledge.words import stem

#: How much a synonym found in an article counts, against the customer's own word.
SYNONYM_WEIGHT = 0.6

_GROUPS: dict[str, tuple[str, ...]] = {
    "en": (
        "delete remove erase", "download save store", "multiple several many",
        "email mail e-mail", "facebook fb", "youtube yt", "account acc acct",
        "picture photo image pic pics", "restore recover retrieve undo",
        "embed insert include", "export backup", "login signin logon",
        "laptop computer pc notebook", "phone mobile smartphone cellphone",
        "invoice bill", "contact message", "private privacy", "video clip",
        "password passcode", "folder directory", "forgot forgotten lost",
    ),
    "de": (
        "passwort kennwort", "löschen entfernen", "herunterladen speichern",
        "handy smartphone mobiltelefon telefon", "rechner computer pc laptop notebook",
        "mail e-mail email nachricht", "rechnung faktura", "ordner verzeichnis",
        "anmeldung login einloggen", "drucker druck",
    ),
    "pl": (
        "usunąć skasować usuwanie", "pobrać ściągnąć zapisać", "telefon komórka smartfon",
        "komputer laptop pc", "faktura rachunek",
        "folder katalog", "logowanie login zalogować",
    ),
}


@lru_cache(maxsize=8)
def synonyms(language: str) -> dict[str, tuple[str, ...]]:
    """Each stemmed word of `language`'s groups -> the other stemmed words of its group."""
    found: dict[str, tuple[str, ...]] = {}
    for group in _GROUPS.get(language, ()):
        stems = list(dict.fromkeys(stem(word, language) for word in group.split()))
        for one in stems:
            found[one] = tuple(other for other in stems if other != one)
    return found
