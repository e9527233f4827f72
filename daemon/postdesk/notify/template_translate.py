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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import nodes
from jinja2.visitor import NodeTransformer

_GETTEXT_NAMES = frozenset({"_", "gettext"})


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
    def __init__(self, lookup: Callable[[str], str]) -> None:
        self.lookup = lookup

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
        text = nodes.MarkSafeIfAutoescape(nodes.Const(self.lookup(node.args[0].value)))
        values = nodes.Dict([nodes.Pair(nodes.Const(keyword.key), keyword.value)
                             for keyword in node.kwargs])
        return nodes.Mod(text, values).set_lineno(node.lineno)


def translate_sentences(template: nodes.Template, lookup: Callable[[str], str]) -> None:
    """Rewrite the template's literal ``_()`` calls in place (see the module docstring)."""
    if _binds_gettext(template):
        return
    _Translator(lookup).visit(template)
    if template.environment is not None:
        template.set_environment(template.environment)
