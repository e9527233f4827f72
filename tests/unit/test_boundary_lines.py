"""The MIME parser that asks about boundaries only on lines that can be one reads every
mail exactly as the standard library's does."""

from __future__ import annotations

import random
import subprocess
import sys
from email import policy
from email.feedparser import FeedParser
from email.message import EmailMessage, Message
from email.parser import BytesParser

import pytest
from test_parse import nested_multiparts

from mail_mutations import MUTATIONS, SEEDS, mutated
from postdesk.mail.boundary_lines import parse_bytes
from postdesk.mail.loading import MAX_PARSED_DEPTH, load_message
from postdesk.mail.parse import parse_loaded

TRICKY = [
    # boundaries that are prefixes of each other, an outer one ending the inner part
    b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n"
    b"Content-Type: multipart/mixed; boundary=b10\r\n\r\n--b10\r\n\r\ninner\r\n"
    b"--b1\r\n\r\nsecond\r\n--b1--  \r\nepilogue\r\n",
    # closing delimiters with white space, a boundary with characters re must escape
    b"Content-Type: multipart/alternative; boundary=\"=_a.b+(c)?*\"\r\n\r\npre\r\n"
    b"--=_a.b+(c)?*\t\r\n\r\none\r\n--=_a.b+(c)?*\r\nContent-Type: text/html\r\n\r\n"
    b"<p>two</p>\r\n--=_a.b+(c)?*-- \r\n",
    # a delivery report: blank lines end its header blocks
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n"
    b"--r\r\n\r\nfailed\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; a@b.example\r\n"
    b"Action: failed\r\n\r\n--r--\r\n",
    # bare LF and CR line ends, a line of dashes, a truncated structure
    b"Content-Type: multipart/mixed; boundary=x\n\n--x\n\n----\n-- x\n--x\r\rnot\r--",
]


def shape(msg: Message) -> list[tuple[str, str, list[str]]]:
    return [(part.get_content_type(), str(part.get_payload() if not part.is_multipart()
                                          else ""), [type(d).__name__ for d in part.defects])
            for part in msg.walk()]


def standard(data: bytes) -> Message:
    return BytesParser(_class=EmailMessage, policy=policy.default).parsebytes(data)


@pytest.mark.parametrize("data", TRICKY)
def test_tricky_boundaries_are_read_as_the_standard_library_reads_them(data: bytes) -> None:
    assert shape(parse_bytes(data, policy.default)) == shape(standard(data))


def test_mutated_mails_are_read_as_the_standard_library_reads_them() -> None:
    kinds = sorted(set(MUTATIONS) - {"deep HTML"})
    for case in range(150):
        rng = random.Random(case)
        data = mutated(rng.choice(SEEDS), [rng.choice(kinds) for _ in range(2)], rng)
        try:
            expected = shape(standard(data))
        except RecursionError:
            continue
        assert shape(parse_bytes(data, policy.default)) == expected, case


_COUNT_MATCHES = """
import re, sys
from email import policy
from postdesk.mail.boundary_lines import parse_bytes

calls = 0

def count(frame, event, arg):
    global calls
    if event == "c_call" and getattr(arg, "__name__", "") == "match" and \\
            isinstance(getattr(arg, "__self__", None), re.Pattern):
        calls += 1

data = sys.stdin.buffer.read()
sys.setprofile(count)
try:
    parse_bytes(data, policy.default)
finally:
    sys.setprofile(None)
print(calls)
"""


def _regex_matches(data: bytes) -> int:
    """How many times parsing `data` calls a compiled pattern's `match`: counted with a
    profile hook in a process of its own, so that nothing an earlier test left in this
    one (threads, hooks) weighs on it (in a busy xdist worker it took minutes)."""
    done = subprocess.run([sys.executable, "-c", _COUNT_MATCHES], input=data,
                          capture_output=True, check=True, timeout=120)
    return int(done.stdout)


def test_deeply_nested_multiparts_cost_a_few_boundary_matches_per_line_not_one_per_level(
        ) -> None:
    """Under the boundaries b0..b199, the line `--b150` starts like `--b1` and `--b15`:
    each such line was matched against every boundary it is inside (200 x 200: 44,000
    matches in all; now about 7,000, most of them the headers' own parsing)."""
    depth = 200
    data = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (n, n)
                    for n in range(depth)) + b"\r\nHello\r\n"
    assert shape(parse_bytes(data, policy.default)) == shape(standard(data))
    assert _regex_matches(data) < 50 * depth


def test_a_mail_nested_past_the_parse_limit_is_kept_as_one_text_part(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each level costs the standard library some 0.5 ms (a pattern compiled for its
    boundary, a Content-Type parsed): 1,000 levels in 70 KB took 0.5 s, and 150 levels
    were read to the bottom although nobody reads past `max_mime_depth` (20)."""
    parts_made = 0
    new_message = FeedParser._new_message  # type: ignore[attr-defined]

    def counting(self: FeedParser) -> None:
        nonlocal parts_made
        parts_made += 1
        new_message(self)

    monkeypatch.setattr(FeedParser, "_new_message", counting)
    parsed = parse_loaded(load_message(nested_multiparts(150)))

    assert "UnparseableMessageDefect" in parsed.defects
    assert "deep text" in parsed.text  # kept, as for any mail the parser gives up on
    assert parts_made <= MAX_PARSED_DEPTH + 2


def test_a_walk_deeper_than_the_parse_limit_raises_the_limit() -> None:
    parsed = parse_loaded(load_message(nested_multiparts(150), max_depth=160), max_depth=160)

    assert parsed.text == "deep text" and "UnparseableMessageDefect" not in parsed.defects
