"""The first line of a mail to a customer, in the desk's register (``[branding] register``).

A desk speaks to its customers in one register, formal by default, so a
greeting never says "du" above a text that says "Sie". The name is the
customer's as they gave it, in the nominative: a language that needs another
form (Polish "Pani Zofio", German "Frau Wiśniewska") greets without the name
rather than guess a form or a gender, which its catalog says by leaving the
name out ("Dzień dobry,", "Guten Tag,").
"""

from __future__ import annotations

from collections.abc import Callable

from babel.support import NullTranslations


def greeting_for(translations: NullTranslations, register: str) -> Callable[..., str]:
    """The template global ``greeting(name)`` for one language and register."""
    informal = register == "informal"
    t = translations  # each call spelled out as t.pgettext(...), so that extraction finds it

    def greeting(name: str | None = None) -> str:
        name = (name or "").strip()
        if informal:
            text = t.pgettext("informal greeting", "Hi %(name)s,") if name else \
                t.pgettext("informal greeting", "Hi,")
        else:
            text = t.pgettext("formal greeting", "Hello %(name)s,") if name else \
                t.pgettext("formal greeting", "Hello,")
        return str(text) % {"name": name} if name else str(text)

    return greeting
