"""Duplicates caught at intake: the store's side of `postdesk.duplicates`, for one mail.

A customer's mail that would open a ticket is first looked up by its exact key
(sender, words and files): the same mail again while its ticket is open is a
duplicate delivery (step `repeat` of the receive chain). A ticket that does
open is compared with the open tickets of the last `[duplicates] days` days
through the term index; each one at least `threshold` percent alike gets a
`possible_duplicate_of` link (at most three), and one internal note in the
desk's language lists them, never a merge: an agent confirms with
`#duplicate N`. Then the ticket is indexed for the tickets after it. The leader's
minute scan takes out of the index the tickets that can never be compared again
(`prune_index`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from postdesk.config.runtime import Runtime
from postdesk.duplicates import detect
from postdesk.duplicates.detect import Finding
from postdesk.duplicates.similarity import norm, weights
from postdesk.duplicates.text import exact_key, terms
from postdesk.mail.parse import ParsedMail
from postdesk.notify.i18n import N_
from postdesk.store import duplicate_index
from postdesk.store.db import database
from postdesk.store.models import Ticket
from postdesk.tickets import service
from postdesk.tickets.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from postdesk.notify.render import Renderer

#: The link a possible duplicate gets (the other ticket is the older one).
POSSIBLE_DUPLICATE_OF = "possible_duplicate_of"


@dataclass(frozen=True)
class MailTerms:
    """What detection compares of a mail: its exact key and its terms."""

    exact_key: str
    counts: Counter[str]


def mail_terms(sender: str, parsed: ParsedMail) -> MailTerms:
    text = f"{parsed.subject}\n{parsed.text}"
    return MailTerms(exact_key(sender, text, (a.data for a in parsed.attachments)),
                     terms(text))


#: The internal note on a new ticket intake found alike to open ones.
POSSIBLE_DUPLICATE_NOTE = N_(
    "Possible duplicate of %(others)s. If it is one, answer with #duplicate %(first)s: this "
    "ticket is then linked to #%(first)s and its customer is told when #%(first)s is "
    "resolved.")
#: One ticket of the note's list.
ALIKE = N_("#%(ticket)s (%(percent)s %% alike)")


def possible_duplicate_note(found: Sequence[Finding], renderer: Renderer) -> str:
    """The internal note on a possible duplicate, in the desk's language (agents only; the
    customer never sees it)."""
    others = ", ".join(renderer.translate(ALIKE, ticket=f.ticket_id,
                                          percent=round(f.score * 100)) for f in found)
    return renderer.translate(POSSIBLE_DUPLICATE_NOTE, others=others, first=found[0].ticket_id)


@dataclass(frozen=True)
class Window:
    """The tickets a new one is compared with: opened from `since` on (the last
    `[duplicates] days` days), in one of the `open_statuses`."""

    since: datetime
    open_statuses: tuple[str, ...]


@dataclass(frozen=True)
class DuplicateCheck:
    """A mail's terms and the window it is compared in (None: detection is off), read once
    per mail; `counts_read` keeps the index's term counts when `repeated_ticket` read them
    (in the same statement), for `check_new_ticket`."""

    mail: MailTerms
    window: Window | None
    counts_read: list[tuple[dict[str, int], int]] = field(
        default_factory=list, compare=False, repr=False)


def intake_window(runtime: Runtime, now: datetime) -> Window | None:
    """The window a mail arriving `now` is compared in (the store finds where it starts in
    the same statement that reads it)."""
    days = runtime.settings.duplicates.days
    book = runtime.statuses
    return None if days <= 0 else Window(
        now - timedelta(days=days), (*book.names_of_kind("open"), *book.names_of_kind("paused")))


def duplicate_check(sender: str, parsed: ParsedMail, runtime: Runtime,
                    now: datetime) -> DuplicateCheck:
    return DuplicateCheck(mail_terms(sender, parsed), intake_window(runtime, now))


def repeated_ticket(check: DuplicateCheck) -> int | None:
    """The open, recent ticket whose first mail had the same sender and words."""
    window = check.window
    found, df, indexed = duplicate_index.repeated_ticket(
        check.mail.exact_key, window.since if window else None,
        window.open_statuses if window else (), check.mail.counts)
    check.counts_read[:] = [(df, indexed)]
    return found


#: Tickets taken out of the index per transaction by `prune_index`.
PRUNE_BATCH = 1000
#: Transactions one `prune_index` makes at most: a desk upgraded with a long history
#: works off its backlog over some minutes, never holding up the leader's minute scans.
PRUNE_BATCHES = 10


def prune_index(runtime: Runtime, now: datetime, batches: int = PRUNE_BATCHES) -> int:
    """Take out of the term index the tickets no new one can be compared with again: those
    opened before the window (`[duplicates] days`) and those closed longer ago than a
    customer's reply can reopen them (`[tickets] reopen_days`). Without it the index, and
    every lookup's work, grows with every ticket the desk ever had. Each batch is its own
    transaction, at most `batches` of them; returns how many tickets left the index."""
    settings = runtime.settings
    days = settings.duplicates.days
    window_from = now - timedelta(days=days) if days > 0 else None
    closed = runtime.statuses.names_of_kind("closed")
    closed_before = now - timedelta(days=max(settings.tickets.reopen_days, 0))
    pruned = 0
    for _ in range(batches):
        with database.atomic():
            batch = duplicate_index.prune(window_from, closed, closed_before, PRUNE_BATCH)
        pruned += batch
        if batch < PRUNE_BATCH:
            break
    return pruned


def check_new_ticket(ticket: Ticket, check: DuplicateCheck, runtime: Runtime, now: datetime,
                     work: UnitOfWork | None = None) -> list[Finding]:
    """Link the new ticket to the open tickets it possibly duplicates (with one note),
    index it, and return what was found."""
    df, indexed = (check.counts_read[0] if check.counts_read
                   else duplicate_index.term_counts(check.mail.counts))
    counts = detect.signature(check.mail.counts, df, indexed)
    found: list[Finding] = []
    window = check.window
    if window is not None and counts:
        candidates = duplicate_index.alike_open_tickets(
            detect.lookup_weights(counts, df, indexed), window.since, detect.SCORED + 1,
            list(counts), window.open_statuses, exclude=ticket.id)
        found = detect.possible_duplicates(counts, df, indexed, candidates,
                                           runtime.settings.duplicates.threshold / 100)
    service.link_new_ticket(ticket, [f.ticket_id for f in found], POSSIBLE_DUPLICATE_OF,
                            actor="system", now=now, work=work)
    if found:  # one note however many: ten reports of one outage are ten notes, not thirty
        note = possible_duplicate_note(found, runtime.renderer)
        service.add_note(ticket, note, author="system", now=now, work=work)
    # its own counts are in the weights too: a term only it has is as rare as can be
    counted = {**df, **{term: df.get(term, 0) + 1 for term in counts}}
    duplicate_index.index_ticket(ticket.id, check.mail.exact_key, counts,
                                 norm(weights(counts, counted, indexed + 1)))
    return found
