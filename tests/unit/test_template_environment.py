"""The mail environment renders what a stock Jinja environment with the i18n extension
renders: sentences translated at compile time, dict keys, plural forms, escaping, errors."""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from jinja2 import DictLoader, Environment, StrictUndefined, UndefinedError

from postdesk.notify.template_environment import RecheckingLoader, mail_environment


def polish() -> Translations:
    """A small catalog with the cases that matter: markup in a translation, a translator
    who dropped a placeholder, a placeholder of another kind, three plural forms."""
    catalog = Catalog(locale="pl")
    catalog.add("Hello %(name)s,", "Dzień dobry %(name)s,")
    catalog.add("Hello,", "Dzień dobry,")
    catalog.add("Marked %(x)s", "<b>Wyróżnione</b> & %(x)s")
    catalog.add("Dropped %(x)s", "Bez wartości")
    catalog.add("Repr %(x)s", "Repr %(x)r")
    catalog.add("Count %(x)d", "Liczba %(x)d")
    catalog.add("Both %(x)s and %(x)s, %(y)s", "Oba %(y)s i %(x)s, %(x)s, 100%%")
    catalog.add(("%(num)d line", "%(num)d lines"), ("%(num)d wiersz", "%(num)d wiersze",
                                                   "%(num)d wierszy"))
    catalog.add("Hi %(name)s", "Cześć %(name)s")
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


SNIPPETS = [
    '{{ _("Hello %(name)s,", name=user.name) }}',
    '{{ _("Hello,") }}|{{ gettext("Hello,") }}',
    '{{ _("Marked %(x)s", x=user.name) }}',
    '{{ _("Dropped %(x)s", x=user.name) }}',
    '{{ _("Repr %(x)s", x=user.name) }}',
    '{{ _("Count %(x)d", x=3) }}',
    '{{ _("Both %(x)s and %(x)s, %(y)s", x=user.name, y=user.id) }}',
    '{{ _("Not in the catalog: %(x)s", x=user.name) }}',
    '{{ _("Dropped %(x)s", x=user.missing) }}',
    '{{ user.subject|trim or _("(no subject)") }}',
    '{% set names = {"a": _("Hello,")} %}{{ names.a }}',
    '{% for n in [1, 2, 5, 22] %}{{ ngettext("%(num)d line", "%(num)d lines", n) }};{% endfor %}',
    '{% trans name=user.name %}Hi {{ name }}{% endtrans %}',
    '{% trans %}Hello,{% endtrans %}',
    '{% for _ in [1] %}{{ gettext("Hello,") }}{% endfor %}',
    '{% set _ = gettext %}{{ _("Hello %(name)s,", name=user.name) }}',
    '{% macro m(_) %}[{{ _ }}]{% endmacro %}{{ m("x") }}{{ gettext("Hello,") }}',
    '{% autoescape false %}{{ _("Hello %(name)s,", name=user.name) }}{% endautoescape %}',
    '{% autoescape true %}{{ _("Hello %(name)s,", name=user.name) }}{% endautoescape %}',
    '{{ user.items }}|{{ user.get("id") }}|{{ user["name"] }}|{{ user.id }}',
    '{{ pgettext("greeting", "Hello,") }}',
]
VALUES: dict[str, Any] = {"user": {"name": "Zoë <b>&", "id": 7, "subject": "  ", "items": 1}}


def stock(translations: Translations, templates: dict[str, str]) -> Environment:
    environment = Environment(
        loader=DictLoader(templates), autoescape=lambda name: name.endswith(".html.j2"),
        undefined=StrictUndefined, extensions=["jinja2.ext.i18n"], trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True)
    environment.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return environment


def outcome(environment: Environment, name: str) -> str:
    try:
        return environment.get_template(name).render(VALUES)
    except Exception as exc:  # the same error, raised the same way
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("suffix", [".html.j2", ".txt.j2"])
@pytest.mark.parametrize("number", range(len(SNIPPETS)))
def test_same_output_as_stock_jinja(tmp_path: Path, number: int, suffix: str) -> None:
    name = f"t{number}{suffix}"
    (tmp_path / name).write_text(SNIPPETS[number], encoding="utf-8")
    translations = polish()
    ours = mail_environment([tmp_path], translations, filters={}, globals={}, auto_reload=True)
    expected = outcome(stock(translations, {name: SNIPPETS[number]}), name)
    assert outcome(ours, name) == expected


def test_sentences_are_translated_when_compiled(tmp_path: Path) -> None:
    (tmp_path / "t.html.j2").write_text('{{ _("Hello,") }}', encoding="utf-8")
    ours = mail_environment([tmp_path], polish(), filters={}, globals={}, auto_reload=True)
    code = ours.compile('{{ _("Hello,") }} {{ _("Hi %(name)s", name=n) }}', raw=True)
    assert "Dzień dobry," in code and "Cześć %(name)s" in code
    assert "context.call" not in code


def test_a_missing_variable_is_an_error_only_where_shown(tmp_path: Path) -> None:
    ours = mail_environment([tmp_path], polish(), filters={}, globals={}, auto_reload=True)
    for autoescape in (True, False):
        ours.autoescape = autoescape
        with pytest.raises(UndefinedError):
            ours.from_string('{{ _("Hello %(name)s,", name=nobody.name) }}').render(nobody={})
        assert ours.from_string('{{ _("Dropped %(x)s", x=nobody.name) }}').render(
            nobody={}) == "Bez wartości"


def test_an_edited_template_is_used_once_its_file_was_looked_at_again(tmp_path: Path) -> None:
    template = tmp_path / "t.txt.j2"
    template.write_text("old", encoding="utf-8")
    now = [1000.0]
    environment = Environment(loader=RecheckingLoader([tmp_path], clock=lambda: now[0]))
    assert environment.get_template("t.txt.j2").render() == "old"
    template.write_text("new", encoding="utf-8")
    stat = template.stat()
    os.utime(template, (stat.st_atime, stat.st_mtime + 5))
    now[0] += 0.5
    assert environment.get_template("t.txt.j2").render() == "old"
    now[0] += 1.0
    assert environment.get_template("t.txt.j2").render() == "new"


def test_nl2br_links_web_mail_and_phone_addresses_and_nothing_escapes() -> None:
    """Issue 24: the HTML part of an agent's reply keeps the links of the text part."""
    from postdesk.notify.template_helpers import nl2br

    html = nl2br('page (https://s.example/i?a=1&b=2).\ncall tel:+4812, '
                 'x "https://q.example/"onmouseover=alert(1) <b>')
    assert html == ('page (<a href="https://s.example/i?a=1&amp;b=2">'
                    'https://s.example/i?a=1&amp;b=2</a>).<br>\ncall <a href="tel:+4812">'
                    'tel:+4812</a>, x &#34;<a href="https://q.example/">https://q.example/</a>'
                    '&#34;onmouseover=alert(1) &lt;b&gt;')


def test_threads_that_meet_a_new_template_together_compile_it_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A daemon's worker threads that render the first mails after a start at the same
    moment: each got the same mail, and the template was compiled once, not once per
    thread (which made the first chat events of a busy start wait)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from postdesk.notify.template_environment import MailEnvironment

    (tmp_path / "t.txt.j2").write_text('{{ _("Hi %(name)s", name=user.name) }}\n',
                                       encoding="utf-8")
    ours = mail_environment([tmp_path], polish(), filters={}, globals={}, auto_reload=True)
    together = threading.Barrier(4)
    compiled = []
    compile_once = MailEnvironment.compile

    def slow_compile(self: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(args[1] if len(args) > 1 else kwargs.get("name"))
        threading.Event().wait(0.2)  # as long as a real mail's templates take
        return compile_once(self, *args, **kwargs)

    monkeypatch.setattr(MailEnvironment, "compile", slow_compile)

    def render(_: int) -> str:
        together.wait()
        return ours.get_template("t.txt.j2").render(VALUES)

    with ThreadPoolExecutor(4) as pool:
        mails = list(pool.map(render, range(4)))
    assert mails == ["Cześć Zoë <b>&\n"] * 4
    assert compiled == ["t.txt.j2"]
