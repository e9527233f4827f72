"""Setting base64 runs aside before the MIME parser changes nothing in what it parses: every
file of the corpus (../shared/corpus), parsed with every run of base64 lines set aside
however short, gives what the standard library's parse of the whole text gives."""

from __future__ import annotations

from email import policy
from pathlib import Path

import pytest

from mime_shape import parse_shape
from postdesk.mail import large_parts
from postdesk.mail.boundary_lines import parse_bytes

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

pytestmark = pytest.mark.corpus

_NOT_MAIL = {".json", ".md", ".png", ".jpg", ".jpeg", ".gif", ".zip", ".pdf", ".html"}




def test_every_corpus_mail_parses_the_same_with_runs_set_aside(
        monkeypatch: pytest.MonkeyPatch) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    files = sorted(p for p in CORPUS.rglob("*")
                   if p.is_file() and p.suffix.lower() not in _NOT_MAIL)
    set_aside = 0
    for path in files:
        data = path.read_bytes()
        with monkeypatch.context() as patch:
            patch.setattr(large_parts, "LARGE", len(data) + 1)
            plain = parse_shape(parse_bytes(data, policy.default))
        with monkeypatch.context() as patch:
            patch.setattr(large_parts, "LARGE", 0)
            patch.setattr(large_parts, "RUN", 62)  # one line of 60 letters is a run
            aside = large_parts.set_aside(data.decode("ascii", errors="surrogateescape"))
            set_aside += aside is not None
            assert parse_shape(parse_bytes(data, policy.default)) == plain, path
    assert set_aside > 150  # the corpus has base64 parts (195 files)
