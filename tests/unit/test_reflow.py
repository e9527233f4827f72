"""Plain text to HTML: hard-wrapped paragraphs flow, structure stays (issue 26)."""

from __future__ import annotations

import re

from postdesk.mail.flowed import unflow
from postdesk.notify.reflow import reflow

# A customer's mail as Outlook/Thunderbird wrapped it at 72 columns.
WRAPPED_DE = """Sehr geehrte Damen und Herren,
ich habe am 3. Dezember festgestellt, dass mir die Jahresgebühr zweimal
von meinem Girokonto abgebucht wurde. Bitte erstatten Sie den doppelten
Betrag auf das bekannte Konto zurück.

Meine Angaben:
- Kundennummer 12345
- IBAN DE89 3704 0044 0532 0130 00, bitte nur dieses Konto verwenden und
  kein anderes.

Mit freundlichen Grüßen
Anna Weber
Musterstraße 5
12345 Berlin
"""

SENTENCE_END = (".", "!", "?", ":", ",", ";")


def lines_of(html: str) -> list[str]:
    """Each visual line of the HTML: split at <br> and paragraph ends, tags removed."""
    text = re.sub(r"</p>|<br>", "\n", html)
    return [re.sub(r"<[^>]+>", "", line).strip() for line in text.split("\n") if line.strip()]


def test_no_line_of_a_reflowed_paragraph_ends_mid_sentence() -> None:
    html = str(reflow(WRAPPED_DE))
    for line in lines_of(html):
        if line.startswith("ich habe"):
            assert line.endswith("zurück."), line
    assert "zweimal<br>" not in html and "zweimal von meinem Girokonto" in html
    breaks = [line for line in lines_of(html)
              if not line.endswith(SENTENCE_END) and not line.startswith("- ")]
    # the only lines without a sentence's end are the writer's own short ones
    assert breaks == ["Mit freundlichen Grüßen", "Anna Weber", "Musterstraße 5",
                      "12345 Berlin"]


def test_greeting_list_items_and_their_continuations() -> None:
    lines = lines_of(str(reflow(WRAPPED_DE)))
    assert lines[0] == "Sehr geehrte Damen und Herren,"
    assert "- Kundennummer 12345" in lines
    assert ("- IBAN DE89 3704 0044 0532 0130 00, bitte nur dieses Konto verwenden und "
            "kein anderes.") in lines


def test_quotes_code_and_signature_stay_as_they_are() -> None:
    text = ("Here is the log, it is long and I could not find the error in it myself,\n"
            "so I am sending it whole:\n\n"
            "    Traceback (most recent call last):\n      File \"x.py\", line 1\n\n"
            "> On Monday you wrote that the printer should work again after the\n"
            "> update.\n\n"
            "-- \nZoe Kowalska\nExample Ltd, Floor 2\n")
    html = str(reflow(text))
    assert "<pre" in html and "    Traceback" in html
    assert "&gt; On Monday you wrote that the printer should work again after the<br>" in html
    assert "Zoe Kowalska<br>" in html


def test_short_lines_and_unwrapped_long_lines_keep_their_breaks() -> None:
    assert lines_of(str(reflow("Printer: HP 4250\nFloor: 2\nRoom: 214"))) == [
        "Printer: HP 4250", "Floor: 2", "Room: 214"]
    long = "A" * 120 + " end.\nNext line of mine."
    assert lines_of(str(reflow(long)))[1] == "Next line of mine."


def test_an_aligned_table_stays_in_columns() -> None:
    table = "Browser  Version  Users\nFirefox      133    500\nChrome       131  1 200"
    html = str(reflow("Our numbers:\n\n" + table))
    assert "<pre" in html and "Firefox      133    500" in html


def test_links_are_made_and_markup_is_escaped() -> None:
    html = str(reflow("See https://example.com/a?b=1&c=2 <script>x</script>"))
    assert '<a href="https://example.com/a?b=1&amp;c=2">' in html
    assert "<script>" not in html


def test_format_flowed_soft_breaks_are_joined() -> None:
    flowed = ("Guten Tag, die Gebühr wurde zweimal \nabgebucht. \n\n"
              "> Zitat eins \n> Zitat zwei\n-- \nAnna\n")
    assert unflow(flowed) == ("Guten Tag, die Gebühr wurde zweimal abgebucht. \n\n"
                              "> Zitat eins Zitat zwei\n-- \nAnna\n")


def test_format_flowed_delsp_deletes_the_break_space() -> None:
    assert unflow("日本語の長い \n文章です。", delsp=True) == "日本語の長い文章です。"
    assert unflow(" >not a quote, stuffed") == ">not a quote, stuffed"
