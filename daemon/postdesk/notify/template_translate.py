"""Translate a template's sentences once, when it is compiled, not in every mail.

An environment serves one language chain and its catalog never changes while
it lives (`Renderer.clear_caches` builds new environments), so
``_("Hello %(name)s,", name=customer.name)`` can become what the new-style
gettext call would compute: the translated text, as markup in an autoescaped
template, %-formatted with the same values (``Markup`` escapes them). A
sentence without values becomes plain template text. This is the tree Jinja's
own i18n extension builds for old-style ``{% trans %}`` blocks.

Only calls of ``_`` or ``gettext`` with one literal string are rewritten, and
only in a template that never binds those names itself (``{% set %}``, macro
arguments, loops, imports). Plural and context forms (``ngettext``,
``pgettext``) stay calls: their form is chosen when the mail is rendered.

In an autoescaped template a sentence whose placeholders are all ``%(name)s``
is filled by `fill_sentence`, which escapes the values it shows and formats
plain text: what ``Markup % values`` gives, without markupsafe's wrapper object
and method calls for every value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jinja2 import nodes, pass_eval_context
from jinja2.nodes import EvalContext
from jinja2.visitor import NodeTransformer
from markupsafe import Markup, escape

_GETTEXT_NAMES = frozenset({"_", "gettext"})

#: The name `fill_sentence` is registered under (not one a template can write by mistake).
SENTENCE_FILTER = "_postdesk_fill_sentence"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def placeholder_names(text: str) -> tuple[str, ...] | None:
    """The names of the text's ``%(name)s`` placeholders; None if it has another kind."""
    if "%" in _PLACEHOLDER.sub("", text):
        return None
    return tuple(dict.fromkeys(m[1] for m in _PLACEHOLDER.finditer(text) if m[1]))


@pass_eval_context
def fill_sentence(
    eval_ctx: EvalContext, values: dict[str, Any], text: str, names: tuple[str, ...]
) -> str:
    """``Markup(text) % values`` when autoescaping, ``text % values`` otherwise, for a
    `text` whose placeholders are `names` (`placeholder_names`)."""
    if eval_ctx.autoescape:
        return Markup(text % {name: escape(values[name]) for name in names})
    return text % values


def _binds_gettext(template: nodes.Template) -> bool:
    """True if the template gives ``_`` or ``gettext`` a meaning of its own."""
    for name in template.find_all(nodes.Name):
        if name.name in _GETTEXT_NAMES and name.ctx != "load":
            return True
    for imported in template.find_all(nodes.FromImport):
        for item in imported.names:
            alias = item[1] if isinstance(item, tuple) else item
            if alias in _GETTEXT_NAMES:
                return True
    return False


class _Translator(NodeTransformer):
    def __init__(self, lookup: Callable[[str], str], autoescape: bool) -> None:
        self.lookup = lookup
        self.autoescape = autoescape

    def visit_Call(self, node: nodes.Call, *args: Any, **kwargs: Any) -> nodes.Node:
        visited = self.generic_visit(node, *args, **kwargs)  # sentences inside the values too
        assert isinstance(visited, nodes.Call)
        node = visited
        if not (
            isinstance(node.node, nodes.Name) and node.node.name in _GETTEXT_NAMES
            and len(node.args) == 1 and isinstance(node.args[0], nodes.Const)
            and isinstance(node.args[0].value, str)
            and node.dyn_args is None and node.dyn_kwargs is None
        ):
            return node
        translated = self.lookup(node.args[0].value)
        values = nodes.Dict([nodes.Pair(nodes.Const(keyword.key), keyword.value)
                             for keyword in node.kwargs])
        names = placeholder_names(translated) if self.autoescape and node.kwargs else None
        if names is not None:
            filled: nodes.Expr = nodes.Filter(
                values, SENTENCE_FILTER, [nodes.Const(translated), nodes.Const(names)], [],
                None, None)
        else:
            filled = nodes.Mod(nodes.MarkSafeIfAutoescape(nodes.Const(translated)), values)
        return filled.set_lineno(node.lineno)


def translate_sentences(
    template: nodes.Template, lookup: Callable[[str], str], *, autoescape: bool
) -> None:
    """Rewrite the template's literal ``_()`` calls in place (see the module docstring);
    `autoescape` says whether the template starts out autoescaped."""
    if _binds_gettext(template):
        return
    _Translator(lookup, autoescape).visit(template)
    if template.environment is not None:
        template.set_environment(template.environment)
