"""The gettext functions templates call, bound to one language's catalog.

They behave exactly like the "new style" callables of Jinja's i18n extension
(``_("Hi %(name)s", name=x)``: the message is always a %-format; in an
autoescaped template it is markup and its values are escaped), but each is one
plain function of the evaluation context. Jinja's own ``_`` looks ``gettext``
up in the template's context on every call and, inside a block that has set a
variable, copies that whole context first: three quarters of the time of a
mail went into translating its sentences that way.
"""

from __future__ import annotations

from typing import Any, cast

from babel.support import NullTranslations
from jinja2 import Environment, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup


def install(environment: Environment, translations: NullTranslations) -> None:
    """Bind `translations` to `environment` (which has the ``jinja2.ext.i18n`` extension,
    so ``{% trans %}`` blocks compile to calls of the same functions)."""
    lookup = translations.gettext
    plural_lookup = translations.ngettext
    context_lookup = translations.pgettext
    plural_context_lookup = translations.npgettext

    @pass_eval_context
    def gettext(eval_ctx: EvalContext, __string: str, **variables: Any) -> str:
        text = lookup(__string)
        if eval_ctx.autoescape:
            return Markup(text) % variables
        return text % variables

    @pass_eval_context
    def ngettext(eval_ctx: EvalContext, __singular: str, __plural: str, __num: int,
                 **variables: Any) -> str:
        variables.setdefault("num", __num)
        text = plural_lookup(__singular, __plural, __num)
        if eval_ctx.autoescape:
            return Markup(text) % variables
        return text % variables

    @pass_eval_context
    def pgettext(eval_ctx: EvalContext, __string_ctx: str, __string: str,
                 **variables: Any) -> str:
        variables.setdefault("context", __string_ctx)
        text = cast(str, context_lookup(__string_ctx, __string))
        if eval_ctx.autoescape:
            return Markup(text) % variables
        return text % variables

    @pass_eval_context
    def npgettext(eval_ctx: EvalContext, __string_ctx: str, __singular: str, __plural: str,
                  __num: int, **variables: Any) -> str:
        variables.setdefault("context", __string_ctx)
        variables.setdefault("num", __num)
        text = plural_context_lookup(__string_ctx, __singular, __plural, __num)
        if eval_ctx.autoescape:
            return Markup(text) % variables
        return text % variables

    environment.newstyle_gettext = True  # type: ignore[attr-defined]
    environment.globals.update(_=gettext, gettext=gettext, ngettext=ngettext,
                               pgettext=pgettext, npgettext=npgettext)
