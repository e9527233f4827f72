"""Issue 25: the markup nh3 writes is read without html.parser's bookkeeping per tag, with
exactly the handler calls html.parser would make (so the text of every mail is the same)."""

from __future__ import annotations

from html.parser import HTMLParser

import nh3
import pytest

from mail_mutations import read_mail
from postdesk.mail.html_tokens import MarkupReader
from postdesk.mail.htmltext import html_to_text, sanitize_html


class Recorder(MarkupReader):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[object, ...]] = []
        self.fed = False

    def feed(self, data: str) -> None:
        self.fed = True
        super().feed(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.calls.append(("start", tag, attrs, self.get_starttag_text()))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.calls.append(("startend", tag, attrs, self.get_starttag_text()))

    def handle_endtag(self, tag: str) -> None:
        self.calls.append(("end", tag))

    def handle_data(self, data: str) -> None:
        self.calls.append(("data", data))


def read_quickly(markup: str, *, by_html_parser: bool = False) -> list[tuple[object, ...]]:
    recorder = Recorder()
    recorder.read(markup)
    assert recorder.fed == by_html_parser
    return recorder.calls


def read_by_html_parser(markup: str) -> list[tuple[object, ...]]:
    recorder = Recorder()
    HTMLParser.feed(recorder, markup)
    HTMLParser.close(recorder)
    return recorder.calls


HTML = [
    "<p>Tom &amp; Jerry &lt;3 &gt; caf\u00e9&nbsp;au lait</p><br><hr>",
    '<a href="https://x.example/?a=1&amp;b=<2>" title="&quot;q&quot;">link</a> tail &amp;',
    "<table><tr><td>1<td>2</tr></table><ul><li>one<li>two</ul><img alt='logo' src=x.png>",
    "<div><pre>\n  indented\n\tcode</pre><blockquote class=gmail_quote>old</blockquote></div>",
    "<p<p<p<p>text<table><tr><td><table><tr><td>deep",
    "plain text only, with an & alone and &#169; &copy; &#x263a;",
]


@pytest.mark.parametrize("html", HTML)
def test_markup_as_nh3_writes_it_gets_the_calls_html_parser_makes(html: str) -> None:
    for markup in (nh3.clean(html), sanitize_html(html)[0],
                   nh3.clean(html, tags={"p", "a", "br", "td", "tr", "table", "li"})):
        assert read_quickly(markup) == read_by_html_parser(markup)


@pytest.mark.parametrize("markup", [
    "<p>a<!-- comment --></p>", "<script>if (a<b) x()</script>", "<p class=x>unquoted</p>",
    "<br/>", "<p>a < b</p>", "<a href='single'>q</a>",
])
def test_other_markup_goes_to_html_parser(markup: str) -> None:
    assert read_quickly(markup, by_html_parser=True) == read_by_html_parser(markup)


def test_a_mail_of_nested_tables_is_read_without_html_parser(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The fuzz case 4361 shape (deep tables cut short): 190 KB cost 1.5 s of CPU, most of it
    html.parser's work on each of some 100,000 tags of its four readings."""
    tags_parsed = 0
    parse_starttag = HTMLParser.parse_starttag

    def counting(self: HTMLParser, i: int) -> int:
        nonlocal tags_parsed
        tags_parsed += 1
        return parse_starttag(self, i)

    monkeypatch.setattr(HTMLParser, "parse_starttag", counting)
    raw = (b"From: a@b.example\r\nSubject: html\r\nContent-Type: text/html\r\n\r\n"
           + b"<table><tr><td>" * 3000 + b"<p>Printer &amp; scanner</p>")

    assert read_mail(raw).kind == "normal"
    assert html_to_text(raw.decode().split("\r\n\r\n", 1)[1]).endswith("Printer & scanner")
    assert tags_parsed == 0
