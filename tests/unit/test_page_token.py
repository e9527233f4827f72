"""Signed links to the ticket page, the page's rate limit and its [web] settings."""

from __future__ import annotations

import pytest

from postdesk.channels.web.page_data import attachment_disposition
from postdesk.channels.web.rate_limit import RateLimit
from postdesk.config.settings import Settings, WebSettings
from postdesk.config.validate import validate
from postdesk.errors import ConfigError
from postdesk.mail.page_token import (
    PageToken,
    TokenRefused,
    check_version,
    csrf_token,
    make_token,
    read_token,
)

SECRET = "s" * 32
TOKEN = PageToken(ticket_id=12, customer_id=3, version=0, expires=2_000_000_000)


def refused(text: str, *, now: float = 1_900_000_000, purpose: str = "page",
            secret: str = SECRET) -> str:
    with pytest.raises(TokenRefused) as caught:
        read_token(secret, text, now=now, purpose=purpose)
    return caught.value.reason


def test_a_token_reads_back_until_it_expires() -> None:
    text = make_token(SECRET, TOKEN)
    assert read_token(SECRET, text, now=1_900_000_000) == TOKEN
    assert refused(text, now=2_000_000_001) == "expired"


def test_every_changed_part_of_a_token_is_refused_as_forged() -> None:
    text = make_token(SECRET, TOKEN)
    numbers, _, signature = text.rpartition(".")
    for changed in ("13.3.0.2000000000", "12.4.0.2000000000", "12.3.1.2000000000",
                    "12.3.0.2000000001"):
        assert refused(f"{changed}.{signature}") == "forged", changed
    assert refused(f"{numbers}.{'A' * len(signature)}") == "forged"
    assert refused(text, secret="t" * 32) == "forged"
    assert refused("") == "forged" and refused("<script>") == "forged"


def test_a_page_link_is_no_session_cookie_and_the_other_way_round() -> None:
    assert refused(make_token(SECRET, TOKEN), purpose="session") == "forged"
    assert refused(make_token(SECRET, TOKEN, purpose="session")) == "forged"


def test_an_older_link_version_is_revoked() -> None:
    check_version(TOKEN, 0)
    with pytest.raises(TokenRefused) as caught:
        check_version(TOKEN, 1)
    assert caught.value.reason == "revoked"


def test_the_csrf_token_belongs_to_its_session() -> None:
    assert csrf_token(SECRET, "a") == csrf_token(SECRET, "a") != csrf_token(SECRET, "b")


def test_the_rate_limit_counts_per_key_and_per_minute() -> None:
    now = [0.0]
    limit = RateLimit(2, clock=lambda: now[0])
    assert [limit.allow("1.2.3.4") for _ in range(3)] == [True, True, False]
    assert limit.allow("5.6.7.8")
    now[0] = 60.0
    assert limit.allow("1.2.3.4")


def test_a_download_name_cannot_break_out_of_its_header() -> None:
    header = attachment_disposition('evil".html\r\nSet-Cookie: x=1; ż.pdf')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="evil_.html__Set-Cookie: x=1_ _.pdf"')
    assert header.endswith("filename*=UTF-8''evil%22.html%0D%0ASet-Cookie%3A%20x%3D1%3B%20"
                           "%C5%BC.pdf")


def web(**values: object) -> Settings:
    return Settings(desk=Settings().desk.__class__(secret=SECRET),
                    web=WebSettings(**values))  # type: ignore[arg-type]


@pytest.mark.parametrize(("values", "message"), [
    ({"listen": "8025"}, "[web] listen must look like 127.0.0.1:2525"),
    ({"base_url": "help.example.com"}, "[web] base_url must be an http:// or https:// URL"),
    ({"base_url": "https://help.example.com/?x=1"}, "[web] base_url must be"),
    ({"link_days": 0}, "[web] link_days must be at least 1"),
    ({"rate_per_ip": 0}, "[web] rate_per_ip must be at least 1"),
])
def test_web_settings_are_checked_with_the_key_named(values: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("?", r"\?")
                       .replace(".", r"\.")):
        validate(web(**values))


def test_links_start_with_base_url_or_the_listen_address() -> None:
    assert WebSettings(listen="127.0.0.1:8025").public_base() == "http://127.0.0.1:8025"
    assert WebSettings(listen="127.0.0.1:8025",
                       base_url="https://help.example.com/").public_base() == \
        "https://help.example.com"
    validate(web(listen="127.0.0.1:8025", base_url="https://help.example.com/desk"))


def test_listen_without_aiohttp_says_which_extra_to_install(monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "aiohttp" else real(name, *a))
    with pytest.raises(ConfigError, match=r"\[web\] listen is set but aiohttp is not installed"
                       r".*pip install 'postdesk\[web\]'"):
        validate(web(listen="127.0.0.1:8025"))
