"""A customer's HTML table reads as aligned columns in the text (issue 26)."""

from __future__ import annotations

from postdesk.mail.htmltext import html_to_text

TABLE = ("<p>Hello, our figures:</p><table><thead><tr><th>Browser</th><th>Version</th>"
         "<th>Users</th></tr></thead><tbody><tr><td>Firefox</td><td>133</td><td>500</td></tr>"
         "<tr><td>Chrome</td><td>131</td><td>1 200</td></tr></tbody></table><p>Thanks</p>")


def test_a_data_table_becomes_aligned_columns() -> None:
    assert html_to_text(TABLE) == ("Hello, our figures:\n\n"
                                   "Browser  Version  Users\n"
                                   "Firefox      133    500\n"
                                   "Chrome       131  1 200\n\n"
                                   "Thanks")


def test_a_layout_table_keeps_its_paragraphs() -> None:
    layout = ("<table><tr><td><p>First paragraph of the mail.</p><p>Second one.</p></td></tr>"
              "<tr><td>Footer</td></tr></table>")
    text = html_to_text(layout)
    assert "First paragraph of the mail.\n\nSecond one." in text and "Footer" in text


def test_a_table_too_wide_for_a_line_is_not_aligned() -> None:
    wide = ("<table><tr><td>" + "x" * 45 + "</td><td>y</td></tr>"
            "<tr><td>a</td><td>b</td></tr></table>")
    assert "x" * 45 in html_to_text(wide)
    assert "a  " not in html_to_text(wide)


def test_a_table_inside_a_layout_table_is_aligned() -> None:
    nested = ("<table><tr><td><p>Dear support,</p><table><tr><td>Order</td><td>Total</td></tr>"
              "<tr><td>A-17</td><td>99.00</td></tr></table></td></tr></table>")
    assert "Order  Total\nA-17   99.00" in html_to_text(nested)
