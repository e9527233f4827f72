"""Duplicates at intake on a real database (SQLite and PostgreSQL): the term index finds
open, recent tickets alike to a new one, links them with one internal note, and the same
words from the same sender are found as a repeat (issue 21)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from postdesk.config.desk_init import init_desk
from postdesk.config.load import load_settings
from postdesk.config.runtime import Runtime
from postdesk.duplicates.text import exact_key, terms
from postdesk.store import duplicate_index
from postdesk.store.db import database
from postdesk.store.models import Customer, Link, Message, Ticket
from postdesk.tickets import duplicate_intake, service
from postdesk.tickets.duplicate_intake import (
    DuplicateCheck,
    MailTerms,
    check_new_ticket,
    intake_window,
    prune_index,
    repeated_ticket,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
OUTAGE = "VPN down since this morning. The VPN connection drops, the intranet is unreachable."
OTHER_WORDS = "Cannot reach the intranet: our VPN keeps disconnecting since the morning."
UNRELATED = "Please send me a copy of the March invoice for our accounting."


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    init_desk(tmp_path / "desk")
    return Runtime(load_settings(tmp_path / "desk" / "postdesk.toml", environ={}))


def mail(sender: str, text: str, runtime: Runtime, now: datetime = NOW) -> DuplicateCheck:
    return DuplicateCheck(MailTerms(exact_key(sender, text), terms(text)),
                          intake_window(runtime, now))


def opened(customer: Customer, text: str, runtime: Runtime, now: datetime = NOW
           ) -> tuple[Ticket, list]:
    ticket = service.open_ticket(customer, text[:30], now=now)
    return ticket, check_new_ticket(ticket, mail(customer.email, text, runtime, now), runtime, now)


def customers() -> tuple[Customer, Customer]:
    return (service.create_customer("zoe@customer.example", "Zoë", language=None,
                                    timezone=None, now=NOW),
            service.create_customer("bob@other.example", "Bob", language=None, timezone=None,
                                    now=NOW))


def test_another_customers_report_in_other_words_is_linked_with_one_note(
        migrated: str, runtime: Runtime) -> None:
    with database.connection_context(), database.atomic():
        zoe, bob = customers()
        first, found_first = opened(zoe, OUTAGE, runtime)
        unrelated, _ = opened(bob, UNRELATED, runtime)
        second, found = opened(bob, OTHER_WORDS, runtime)

        assert found_first == []
        assert [f.ticket_id for f in found] == [first.id]
        assert 0.45 <= found[0].score <= 1
        assert [(link.other_id, link.kind) for link in Link.select().where(
            Link.ticket == second.id)] == [(first.id, "possible_duplicate_of")]
        [note] = Message.select().where(Message.ticket == second.id)
        assert note.visibility == "internal" and f"#duplicate {first.id}" in note.text
        assert Link.select().where(Link.ticket == unrelated.id).count() == 0


def test_closed_merged_and_old_tickets_are_not_candidates(migrated: str,
                                                          runtime: Runtime) -> None:
    with database.connection_context(), database.atomic():
        zoe, bob = customers()
        old, _ = opened(zoe, OUTAGE, runtime, now=NOW - timedelta(days=8))
        closed, _ = opened(zoe, OUTAGE + " Still.", runtime)
        service.set_status(closed, "resolved", actor="system", now=NOW)
        merged, _ = opened(zoe, OUTAGE + " Again.", runtime)
        merged.merged_into = old.id
        merged.save()

        _, found = opened(bob, OTHER_WORDS, runtime)
        assert found == []


def test_the_same_words_from_the_same_sender_are_a_repeat_of_the_open_ticket(
        migrated: str, runtime: Runtime) -> None:
    with database.connection_context(), database.atomic():
        zoe, _ = customers()
        first, _ = opened(zoe, OUTAGE, runtime)
        assert repeated_ticket(mail(zoe.email, "  " + OUTAGE.replace(" ", "\n "),
                                    runtime)) == first.id
        assert repeated_ticket(mail("bob@other.example", OUTAGE, runtime)) is None
        assert repeated_ticket(mail(zoe.email, OUTAGE, runtime,
                                    NOW + timedelta(days=8))) is None  # out of the window
        service.set_status(first, "resolved", actor="system", now=NOW)
        assert repeated_ticket(mail(zoe.email, OUTAGE, runtime)) is None


def test_the_term_counts_grow_with_each_indexed_ticket(migrated: str,
                                                       runtime: Runtime) -> None:
    with database.connection_context(), database.atomic():
        zoe, bob = customers()
        opened(zoe, OUTAGE, runtime)
        opened(bob, OTHER_WORDS, runtime)
        df, indexed = duplicate_index.term_counts(["vpn", "intr", "invo"])
        assert indexed == 2
        assert df == {"vpn": 2, "intr": 2}


def test_detection_off_finds_nothing_and_still_indexes(migrated: str, tmp_path: Path) -> None:
    init_desk(tmp_path / "off")
    off = Runtime(load_settings(tmp_path / "off" / "postdesk.toml",
                                environ={"POSTDESK_DUPLICATES_DAYS": "0"}))
    assert off.settings.duplicates.days == 0
    with database.connection_context(), database.atomic():
        zoe, bob = customers()
        first, _ = opened(zoe, OUTAGE, off)
        _, found = opened(bob, OUTAGE, off)
        assert found == []
        assert repeated_ticket(mail(zoe.email, OUTAGE, off)) is None
        assert duplicate_index.term_counts(["vpn"]) == ({"vpn": 2}, 2)
        assert first.id


def test_the_note_is_written_in_the_desks_language(migrated: str, tmp_path: Path) -> None:
    init_desk(tmp_path / "pl")
    polish = Runtime(load_settings(tmp_path / "pl" / "postdesk.toml",
                                   environ={"POSTDESK_DESK_DEFAULT_LANGUAGE": "pl"}))
    with database.connection_context(), database.atomic():
        zoe, bob = customers()
        first, _ = opened(zoe, OUTAGE, polish)
        second, _ = opened(bob, OTHER_WORDS, polish)
        [note] = Message.select().where(Message.ticket == second.id)
        assert note.text.startswith(f"Możliwy duplikat zgłoszenia #{first.id} (podobieństwo ")
        assert f"#duplicate {first.id}" in note.text


def test_the_tickets_sharing_the_most_weight_are_the_ones_scored(migrated: str,
                                                                 runtime: Runtime) -> None:
    with database.connection_context(), database.atomic():
        zoe, _ = customers()
        a, _ = opened(zoe, "printer toner", runtime)
        b, _ = opened(zoe, "printer scanner toner", runtime)
        c, _ = opened(zoe, "scanner", runtime)
        statuses = ("new",)

        def scored(weighted: dict[str, float], limit: int, exclude: int = 0,
                   since: datetime = NOW) -> dict[int, dict[str, int]]:
            return {found.ticket_id: dict(found.shared) for found in
                    duplicate_index.alike_open_tickets(weighted, since, limit,
                                                       ["prin", "scan"], statuses, exclude)}

        weighted = {"prin": 1.0, "scan": 5.0}
        assert scored(weighted, 2) == {b.id: {"prin": 1, "scan": 1}, c.id: {"scan": 1}}
        assert scored(weighted, 3) == {a.id: {"prin": 1}, b.id: {"prin": 1, "scan": 1},
                                       c.id: {"scan": 1}}
        assert scored(weighted, 2, exclude=b.id) == {c.id: {"scan": 1}}  # ranked, then left out
        assert scored({}, 10) == {}
        assert scored(weighted, 10, since=NOW + timedelta(days=1)) == {}  # none that recent
        service.set_status(c, "resolved", actor="system", now=NOW)
        assert scored(weighted, 2) == {b.id: {"prin": 1, "scan": 1}}  # closed: not a candidate


def test_tickets_never_compared_again_leave_the_index(migrated: str, runtime: Runtime,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Out of the window, or closed longer ago than a reply could reopen them: their terms,
    fingerprint and share of the counts go, a bounded number of batches at a time; the open
    and the lately closed stay found."""
    days = runtime.settings.duplicates.days
    reopen = runtime.settings.tickets.reopen_days
    with database.connection_context():
        with database.atomic():
            zoe, bob = customers()
            opened(zoe, "Printer jams on floor 3", runtime,
                   now=NOW - timedelta(days=days + 1))
            done, _ = opened(bob, OUTAGE, runtime, now=NOW - timedelta(days=1))
            service.set_status(done, "closed", actor="system",
                               now=NOW - timedelta(days=reopen + 1))
            lately, _ = opened(bob, UNRELATED, runtime)
            service.set_status(lately, "resolved", actor="system", now=NOW)
            live, _ = opened(zoe, OTHER_WORDS, runtime)
            assert duplicate_index.term_counts(["vpn", "jams"]) == ({"vpn": 2, "jams": 1}, 4)

        monkeypatch.setattr(duplicate_intake, "PRUNE_BATCH", 1)
        assert prune_index(runtime, NOW, batches=1) == 1  # the rest waits for the next scan
        assert prune_index(runtime, NOW) == 1
        assert prune_index(runtime, NOW) == 0  # nothing left to take out

        with database.atomic():
            indexed = {row[0] for row in database.execute_sql(
                'SELECT DISTINCT "ticket_id" FROM "ticket_term"').fetchall()}
            fingerprints = {row[0] for row in database.execute_sql(
                'SELECT "ticket_id" FROM "ticket_fingerprint"').fetchall()}
            assert indexed == fingerprints == {lately.id, live.id}
            # "jams" was only the old ticket's: its count is gone, not left at 0
            assert duplicate_index.term_counts(["vpn", "jams"]) == ({"vpn": 1}, 2)
            _, found = opened(bob, OUTAGE, runtime)
            assert [f.ticket_id for f in found] == [live.id]
            service.set_status(lately, "in_progress", actor="system", now=NOW)
            assert repeated_ticket(mail(bob.email, UNRELATED, runtime)) == lately.id


@pytest.mark.parametrize("days", ["7", "0"])
def test_the_repeat_lookup_reads_the_counts_the_comparison_then_uses(
        migrated: str, tmp_path: Path, days: str) -> None:
    """As intake runs it: `repeated_ticket` first (one statement, with the term counts),
    then `check_new_ticket` on the same check finds what it finds on its own."""
    init_desk(tmp_path / "d")
    desk = Runtime(load_settings(tmp_path / "d" / "postdesk.toml",
                                 environ={"POSTDESK_DUPLICATES_DAYS": days}))
    with database.connection_context(), database.atomic():
        zoe, bob = customers()
        first, _ = opened(zoe, OUTAGE, desk)
        check = mail(bob.email, OTHER_WORDS, desk)
        assert repeated_ticket(check) is None
        assert check.counts_read == [duplicate_index.term_counts(check.mail.counts)]
        second = service.open_ticket(bob, "VPN", now=NOW)
        found = check_new_ticket(second, check, desk, NOW)
        assert [f.ticket_id for f in found] == ([first.id] if days != "0" else [])
        assert duplicate_index.term_counts(["vpn"]) == ({"vpn": 2}, 2)
