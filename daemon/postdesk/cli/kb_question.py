"""Which language `postdesk kb search` searches a question in when `--lang` does not say.

A score is the share of the best score the question's words could reach in one
language's articles, so shares of different languages are not comparable: a list
mixing them is in no real order. Without `--lang` the question's language is told
as the desk tells a new customer's from their first mail (`tickets.locale_guess`:
among the languages the desk writes in, when the detector is sure; else the desk's
default language), except that a question needs no 20 letters (a mail does): an
admin's question is short, and the detector is sure of "zapomniałem hasła" all the
same, while "vpn" stays unclear. The question is then searched along that
language's locale chain, as the acknowledgment searches it (an unclear one along
the default's, then in the desk's other languages: "Passwort vergessen" is too
short to tell, and an admin asking it expects the German article): the articles
shown are those of the first language of the chain that has any, best first. The text output
says which language that is and why; in JSON each article carries its language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from postdesk.cli.terminal_words import Words
from postdesk.config.settings import Settings


@dataclass(frozen=True)
class QuestionLanguage:
    """The languages a question is searched in, in order, and how the first was chosen."""

    chain: tuple[str, ...]
    detected: bool  # the question's own language; False: the desk's default (unclear text)


def desk_languages(settings: Settings) -> tuple[str, ...]:
    """The languages the desk writes in (its catalogs), among which a mail's is detected."""
    from postdesk.notify.i18n import Catalogs
    from postdesk.notify.render import default_locale_dir

    return Catalogs([settings.path(settings.paths.locales),
                     default_locale_dir()]).available_languages()


def question_language(question: str, languages: Sequence[str],
                      default: str) -> QuestionLanguage:
    """The locale chain a new customer writing `question` gets articles from."""
    from postdesk.knowledge.suggest import chain
    from postdesk.notify.i18n import locale_chain
    from postdesk.tickets.locale_guess import detect_language

    detected = detect_language(question, languages, min_letters=1)
    if detected is not None:
        return QuestionLanguage(tuple(chain(locale_chain(detected, default))), True)
    # unclear ("Passwort vergessen" is too short to tell): the default's chain first, then
    # the desk's other languages, so that a short question still finds its articles
    return QuestionLanguage(tuple(chain([*locale_chain(default, default), *languages])),
                            False)


def heading(found: QuestionLanguage, shown: str, words: Words) -> str:
    """The line above the articles: their language, and why that one."""
    asked = found.chain[0]
    if shown != asked:
        return words._("Articles in %(language)s, the desk's next language: none in "
                       "%(asked)s matches; --lang chooses one:", language=shown, asked=asked)
    if found.detected:
        return words._("Articles in the question's language (%(language)s); --lang searches "
                       "another:", language=shown)
    return words._("Articles in the desk's default language (%(language)s): the question's "
                   "own is unclear; --lang chooses one:", language=shown)


def searched(found: QuestionLanguage, words: Words) -> str:
    """What to say when no article of the languages searched matches."""
    return words._("searched in %(languages)s; --lang chooses the language",
                   languages=", ".join(found.chain))
