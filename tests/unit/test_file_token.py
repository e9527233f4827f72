"""File links of chat posts: signed for files only, for one attachment, until their expiry."""

from __future__ import annotations

import pytest

from postdesk.mail.file_token import FileToken, file_url, make_file_token, read_file_token
from postdesk.mail.page_token import PageToken, TokenRefused, make_token

SECRET = "s" * 32
LINK = FileToken(ticket_id=7, attachment_id=3, version=2, expires=2_000_000_000)


def test_a_file_link_reads_back_until_it_expires() -> None:
    text = make_file_token(SECRET, LINK)
    assert read_file_token(SECRET, text, now=1_900_000_000) == LINK
    with pytest.raises(TokenRefused, match="expired"):
        read_file_token(SECRET, text, now=2_000_000_001)
    assert file_url("https://help.example.com", SECRET, LINK) == \
        f"https://help.example.com/f/{text}"


@pytest.mark.parametrize("other", [
    make_token(SECRET, PageToken(7, 3, 2, 2_000_000_000)),  # a page link, same numbers
    make_token(SECRET, PageToken(7, 3, 2, 2_000_000_000), purpose="session"),
    make_file_token("t" * 32, LINK),  # another desk's secret
    make_file_token(SECRET, LINK).replace("7.3.", "7.4.", 1),  # another attachment
])
def test_anything_but_this_desks_file_link_is_forged(other: str) -> None:
    with pytest.raises(TokenRefused, match="forged"):
        read_file_token(SECRET, other, now=1_900_000_000)
