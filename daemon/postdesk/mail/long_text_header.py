"""Long plain-text headers (Subject, Comments, X-...) read in time linear in their length.

The standard library's parser of unstructured headers re-slices the rest of the
value at every word and every encoded word, so a value costs the square of its
length: a Subject of 200 KB of ``=?utf-8?B?w6k?=`` cost 6 s of CPU when the
classifier read it, 200 KB of 8-bit words 1.2 s. Real values are short, so
values up to `MAX_PARSED_TEXT_HEADER` characters still go to the standard
library (the text is the same as ever). A longer value becomes a header object
of the same class whose text is decoded by our own encoded-word decoder, which
is one regular-expression pass (`charsets.decode_encoded_words`): its text is
the whole value, decoded, and nothing is cut. The raw mail keeps the header as
it came.
"""

from __future__ import annotations

from email import _header_value_parser as parser
from typing import Any

from postdesk.mail.charsets import decode_encoded_words

#: Longer unstructured values are decoded here, not by the standard library.
MAX_PARSED_TEXT_HEADER = 4096


def long_text_header(header_factory: Any, name: str, unfolded: str) -> Any:
    """What ``header_factory(name, unfolded)`` gives for an unstructured header, in time
    linear in the value: its text is the value with its encoded words decoded and
    undeclared 8-bit bytes read as UTF-8 (as the standard library reads them)."""
    text = decode_encoded_words(unfolded)
    text = text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
    header = str.__new__(header_factory[name], text)
    header.init(name, parse_tree=_plain_text(text), defects=[])
    return header


def _plain_text(text: str) -> Any:
    """A parse tree of the decoded text as one piece of text, for writing the header
    again (a tree of each word would cost more than the rest of the reading)."""
    return parser.UnstructuredTokenList([parser.ValueTerminal(text, "vtext")])
