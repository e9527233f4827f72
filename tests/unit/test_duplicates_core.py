"""The pure core of duplicate detection: the words compared, the score, the decision."""

from __future__ import annotations

from collections import Counter

from postdesk.duplicates.detect import (
    Candidate,
    lookup_weights,
    possible_duplicates,
)
from postdesk.duplicates.similarity import cosine, norm, weights
from postdesk.duplicates.text import MAX_CHARS, exact_key, terms


def test_terms_drop_stop_words_and_meet_across_word_forms() -> None:
    assert terms("How can I delete my Facebook account?") == Counter(
        {"dele": 1, "face": 1, "acco": 1})
    assert set(terms("Deleting the facebook accounts")) == {"dele", "face", "acco"}
    # Polish and German forms and stop words
    assert set(terms("Drukarka nie drukuje")) == set(terms("drukarki nie drukują"))
    assert set(terms("Ich kann mich nicht anmelden")) == {"mich", "anme"}


def test_exact_key_ignores_spacing_and_case_but_not_the_sender_or_the_words() -> None:
    key = exact_key("zoe@customer.example", "VPN down.\nHelp!")
    assert exact_key("Zoe@Customer.example ", "vpn   down.\n\nhelp!") == key
    long = "printer " * MAX_CHARS
    assert exact_key("zoe@customer.example", long + "A") != exact_key(
        "zoe@customer.example", long + "B")  # a difference past what the terms read
    assert exact_key("bob@other.example", "VPN down.\nHelp!") != key
    assert exact_key("zoe@customer.example", "VPN up.\nHelp!") != key


def test_only_the_start_of_a_huge_mail_counts() -> None:
    head = "printer " * (MAX_CHARS // 8)
    assert terms(head + "scanner " * 10_000) == terms(head)


def test_the_same_text_scores_one_and_rare_shared_words_weigh_more() -> None:
    df = {"vpn": 2, "down": 40, "offi": 40}
    a = weights(Counter({"vpn": 1, "down": 1}), df, 100)
    assert round(cosine(a, a), 6) == 1.0
    rare = weights(Counter({"vpn": 1, "offi": 1}), df, 100)
    common = weights(Counter({"down": 1, "offi": 1}), df, 100)
    assert cosine(a, rare) > cosine(a, common)


def test_lookup_skips_unknown_and_very_common_terms_and_weighs_the_rarest_most() -> None:
    counts = Counter({"vpn": 1, "mail": 1, "new": 1, "offi": 1})
    df = {"vpn": 3, "mail": 500, "offi": 40}
    looked_up = lookup_weights(counts, df, 10_000)  # mail: in 5 % of tickets
    assert list(looked_up) == ["vpn", "offi"]
    assert looked_up["vpn"] > looked_up["offi"] > 0


def test_possible_duplicates_keep_those_above_the_threshold_best_first() -> None:
    df = {"vpn": 2, "intr": 2, "down": 3, "invo": 2}
    mail = Counter({"vpn": 1, "intr": 1, "down": 1})
    alike = Counter({"vpn": 1, "intr": 1, "down": 1, "invo": 1})
    full = weights(alike, df, 50)
    candidates = [
        Candidate(4, {"vpn": 1, "intr": 1, "down": 1}, norm(full)),
        Candidate(5, {"down": 1}, norm(full)),
    ]
    found = possible_duplicates(mail, df, 50, candidates, threshold=0.3)
    assert [f.ticket_id for f in found] == [4]
    assert 0.3 <= found[0].score < 1
    assert possible_duplicates(mail, df, 50, candidates, threshold=0.99) == []


def test_a_long_mail_is_represented_by_its_weightiest_terms() -> None:
    from postdesk.duplicates.detect import SIGNATURE_TERMS, signature

    counts = Counter({f"w{i:03d}": 1 for i in range(100)})
    df = {f"w{i:03d}": i for i in range(100)}  # w000 is the rarest
    kept = signature(counts, df, 1000)
    assert len(kept) == SIGNATURE_TERMS
    assert set(kept) == {f"w{i:03d}" for i in range(SIGNATURE_TERMS)}
    short = Counter({"vpn": 2, "down": 1})
    assert signature(short, {}, 10) == short


def test_the_same_words_with_another_file_are_another_mail() -> None:
    text = "Screenshot of the error attached."
    plain = exact_key("zoe@customer.example", text)
    first = exact_key("zoe@customer.example", text, [b"PNG one"])
    assert first != plain
    assert exact_key("zoe@customer.example", text, [b"PNG one"]) == first
    assert exact_key("zoe@customer.example", text, [b"PNG two"]) != first
    assert exact_key("zoe@customer.example", text, [b"b", b"a"]) == exact_key(
        "zoe@customer.example", text, [b"a", b"b"])
