"""HTML nested deeper than [limits] max_html_depth loses the tags below that depth, not its
text, before it is cleaned: the cleaner's time grows with the square of the depth."""

from __future__ import annotations

from email.message import EmailMessage

from postdesk.mail.html_depth import limit_depth
from postdesk.mail.parse import parse_message


def html_mail(html: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Alice <alice@customer.example>"
    msg["To"] = "support@example.com"
    msg["Subject"] = "Printer"
    msg.set_content(html, subtype="html")
    return msg.as_bytes()


def deepest(html: str) -> int:
    depth = deepest_seen = 0
    for piece in html.split("<")[1:]:
        if piece.startswith("div"):
            depth += 1
            deepest_seen = max(deepest_seen, depth)
        elif piece.startswith("/div"):
            depth -= 1
    return deepest_seen


def test_nesting_beyond_the_limit_is_flattened_and_its_text_kept() -> None:
    html = "<div>" * 300 + "printer on fire" + "</div>" * 300
    bounded, flattened = limit_depth(html, 256)
    assert flattened
    assert deepest(bounded) == 256
    assert bounded.count("<div>") == bounded.count("</div>") == 256
    assert "printer on fire" in bounded


def test_nesting_at_the_limit_and_ordinary_html_are_left_alone() -> None:
    at_limit = "<div>" * 256 + "x" + "</div>" * 256
    assert limit_depth(at_limit, 256) == (at_limit, False)
    flat = "<ul>" + "<li>item" * 2000 + "</ul>" + "<p>para" * 1000 + "<br>" * 1000 + "<img/>" * 500
    assert limit_depth(flat, 256) == (flat, False)  # these never nest, whatever their count
    siblings = "<div><span>x</span></div>" * 2000
    assert limit_depth(siblings, 256) == (siblings, False)


def test_a_deep_mail_is_parsed_with_a_defect_and_stays_clean() -> None:
    html = ("<html><body>" + "<blockquote>" * 5000 + "<script>alert(1)</script>"
            + '<a href="javascript:alert(2)" onclick="x()">click</a> printer on fire'
            + "</blockquote>" * 5000 + "</body></html>")
    parsed = parse_message(html_mail(html))
    assert "HtmlTooDeep" in parsed.defects
    assert parsed.html is not None
    assert "printer on fire" in parsed.html and "printer on fire" in parsed.text
    assert "<script" not in parsed.html and "javascript:" not in parsed.html
    assert "onclick" not in parsed.html
    assert parsed.html.count("<blockquote>") <= 256


def test_the_limit_comes_from_the_caller() -> None:
    html = "<div>" * 40 + "x" + "</div>" * 40
    assert "HtmlTooDeep" in parse_message(html_mail(html), max_html_depth=10).defects
    assert "HtmlTooDeep" not in parse_message(html_mail(html)).defects


def test_broken_tags_cost_one_pass() -> None:
    """Tags that never close, or names that run on, are scanned once (the pattern takes
    names and attributes whole): the result is the input, unchanged."""
    for html in ("<a" * 50_000, "<div " + "a" * 100_000, "<" + "a" * 100_000 + "<" * 1000):
        assert limit_depth(html, 256) == (html, False)


def test_the_cleaner_bounds_the_depth_itself() -> None:
    """Every caller of sanitize_html gets the bound, not only the parser."""
    from postdesk.mail.htmltext import sanitize_html

    clean, flattened = sanitize_html("<blockquote>" * 1000 + "x<script>y</script>", 256)
    assert flattened and clean.count("<blockquote>") <= 256 and "<script" not in clean
    assert sanitize_html("<p>fine</p>") == ("<p>fine</p>", False)
