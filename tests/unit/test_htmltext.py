"""HTML bodies as text: the structure a reader relies on, and bounded cost on hostile markup."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap

from postdesk.mail.htmltext import html_to_text


def test_structure_survives_and_what_is_not_text_goes() -> None:
    html = ("<html><head><title>Invoice</title><style>p {color: red}</style></head><body>"
            "<section>First</section><section>Second</section>"
            "<p>Tom &amp; Jerry &lt;3</p><ul><li>one<li>two</ul>"
            "<ol><li>a</li><li>b</li></ol><table><tr><td>1<td>2</tr></table>"
            "<img alt='logo' src='cid:x'><script>if (a<b) alert(1)</script>"
            "<!-- hidden <b>note</b> -->end</body></html>")
    assert html_to_text(html) == ("First\n\nSecond\n\nTom & Jerry <3\n\n- one\n- two\n\n"
                                  "1. a\n2. b\n\n 1 2\n\nlogoend")


def test_unclosed_tags_keep_the_text_around_them() -> None:
    assert html_to_text("<p>Printer <b>broken<p>error 42<li>one") == (
        "Printer broken\n\nerror 42\n\n- one")


def test_a_mail_of_unclosed_tags_costs_linear_time() -> None:
    """`<p<p<p...` in 900-byte lines made html.parser look for each tag's end to the end of
    the document: 240 KB cost 34 s of CPU. Run where the CPU is capped far above what
    linear work needs (a fraction of a second) and far below what the old way took."""
    script = textwrap.dedent("""
        from postdesk.mail.htmltext import html_to_text
        line = "<p" * 450 + "\\r\\n"
        html = "Hello" + line * (300_000 // len(line)) + "bye"
        print(len(html_to_text(html)) < 20)
    """)
    cap = 8  # seconds of CPU; the old code needed over 100 here
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CPU,
                                                                (cap, cap)),
                          timeout=120, check=False)
    assert done.returncode == 0, f"killed or failed: {done.returncode} {done.stderr[-500:]}"
    assert done.stdout.strip() == "True"
