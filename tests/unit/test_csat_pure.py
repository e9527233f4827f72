"""The satisfaction survey's pure parts: scales and ratings in replies, the signed rating
links, and the `csat_rating` rule condition."""

from __future__ import annotations

import pytest

from postdesk.automation import EventFacts, RuleContext, run_rules
from postdesk.automation.loader import parse_rules
from postdesk.errors import RuleError
from postdesk.mail.csat_token import RatingLink, make_rating_token, read_rating_token
from postdesk.mail.page_token import PageToken, TokenRefused, make_token
from postdesk.tickets.csat_scale import SCALES, rating_in_reply
from rule_facts import NOW, ticket_facts

FIVE, FACES = SCALES["1-5"], SCALES["faces"]
SECRET = "s3cret-of-the-desk"


@pytest.mark.parametrize("text, five, faces", [
    ("5", 5, None), (" 4\n", 4, None), ("1.", 1, 1), ("3!", 3, 3),
    ("🙂", 5, 3), ("😞\n", 1, 1), ("😐", 3, 2), ("🙂\ufe0f", 5, 3),
    ("6", None, None), ("0", None, None), ("45", None, None), ("٥", None, None),
    ("5 stars, great", None, None), ("Thanks!", None, None), ("", None, None),
    ("I have 2 printers", None, None), ("😀", None, None),
])
def test_a_reply_is_a_rating_only_when_it_is_nothing_but_one(text: str, five: int | None,
                                                             faces: int | None) -> None:
    assert rating_in_reply(text, FIVE) == five
    assert rating_in_reply(text, FACES) == faces


def test_the_top_ratings_count_as_satisfied() -> None:
    assert [r for r in FIVE.ratings if r >= FIVE.top] == [4, 5]
    assert [FACES.label(r) for r in FACES.ratings if r >= FACES.top] == ["🙂"]


def test_a_rating_link_carries_its_ticket_customer_resolution_and_rating() -> None:
    link = RatingLink(42, 7, 2, 4, 2_000_000_000)
    token = make_rating_token(SECRET, link)
    assert read_rating_token(SECRET, token, now=1_900_000_000) == link


@pytest.mark.parametrize("change", ["rating", "resolution", "ticket", "expiry", "secret"])
def test_a_changed_rating_link_is_refused_as_forged(change: str) -> None:
    token = make_rating_token(SECRET, RatingLink(42, 7, 2, 4, 2_000_000_000))
    ticket, customer, resolution, rating, expires, signature = token.split(".")
    forged = {
        "rating": f"{ticket}.{customer}.{resolution}.5.{expires}.{signature}",
        "resolution": f"{ticket}.{customer}.3.{rating}.{expires}.{signature}",
        "ticket": f"43.{customer}.{resolution}.{rating}.{expires}.{signature}",
        "expiry": f"{ticket}.{customer}.{resolution}.{rating}.2000000001.{signature}",
        "secret": make_rating_token("another", RatingLink(42, 7, 2, 4, 2_000_000_000)),
    }[change]
    with pytest.raises(TokenRefused) as refused:
        read_rating_token(SECRET, forged, now=1_900_000_000)
    assert refused.value.reason == "forged"


def test_an_expired_rating_link_and_a_page_link_are_refused() -> None:
    token = make_rating_token(SECRET, RatingLink(42, 7, 2, 4, 1_000))
    with pytest.raises(TokenRefused, match="expired"):
        read_rating_token(SECRET, token, now=2_000)
    page_link = make_token(SECRET, PageToken(42, 7, 0, 2_000_000_000))  # another purpose
    with pytest.raises(TokenRefused, match="forged"):
        read_rating_token(SECRET, page_link + ".x", now=1_000)


RULES = """rules:
  - name: unhappy
    on: satisfaction.rated
    if:
      csat_rating: {below: 3}
    then:
      - set_status: in_progress
      - notify: {template: agent_bad_rating, to: team_lead}
  - name: delighted
    on: satisfaction.rated
    if:
      csat_rating: {at_least: 5}
    then:
      - add_tag: happy
"""


@pytest.mark.parametrize("rating, fired", [(1, ["unhappy"]), (2, ["unhappy"]), (3, []),
                                           (4, []), (5, ["delighted"])])
def test_a_rule_can_reopen_on_a_bad_rating(rating: int, fired: list[str]) -> None:
    rules = parse_rules(RULES)
    ticket = ticket_facts(status="resolved")
    event = EventFacts("satisfaction.rated", author_role="customer", rating=rating)
    result = run_rules(rules, event, ticket, now=NOW, context=RuleContext())
    assert sorted({e.rule for e in result.effects}) == fired


def test_a_csat_rating_without_a_bound_or_out_of_range_names_the_line() -> None:
    with pytest.raises(RuleError, match=r"automation.yaml:5.*needs below, at_least"):
        parse_rules(RULES.replace("{below: 3}", "{}"))
    with pytest.raises(RuleError, match=r"automation.yaml:5.*rating, a whole number"):
        parse_rules(RULES.replace("{below: 3}", "{below: 9}"))


PAGE = {"ticket": {"id": 1042, "subject": "Drukarka"}, "scale": "1-5", "comment": "",
        "choices": [{"rating": r, "label": str(r), "chosen": r == 4} for r in range(1, 6)],
        "done": "", "rated": False, "change_days": 7, "csrf": "t", "action": "/csat/x",
        "max_comment": 2000, "problem": ""}


@pytest.mark.parametrize("language, words, english", [
    ("en", ["How satisfied are you?", "Comment (optional)", "Send my rating"], []),
    ("pl", ["Prosimy o ocenę", "Komentarz (opcjonalnie)", "Wyślij ocenę"],
     ["How satisfied", "Comment", "Send"]),
    ("de", ["Wie zufrieden sind Sie?", "Kommentar (optional)", "Bewertung senden"],
     ["How satisfied", "Comment (", "Send"]),
])
def test_the_confirmation_page_speaks_the_customer_s_language(language: str, words: list[str],
                                                              english: list[str]) -> None:
    from postdesk.notify.render import Renderer, default_locale_dir, default_template_dir

    renderer = Renderer([default_template_dir()], [default_locale_dir()])
    html, tag = renderer.render_page("csat", PAGE, language=language)
    assert tag == language
    assert all(word in html for word in words), html
    assert not [word for word in english if word in html]
    assert 'value="4" checked' in html and 'name="csrf" value="t"' in html
    thanks, _ = renderer.render_page("csat", {**PAGE, "done": "recorded"}, language=language)
    assert "<form" not in thanks
