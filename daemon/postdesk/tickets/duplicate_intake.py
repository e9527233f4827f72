"""Duplicates caught at intake: the store's side of `postdesk.duplicates`, for one mail.

A customer's mail that would open a ticket is first looked up by its exact key
(sender and words): the same mail again while its ticket is open is a
duplicate delivery (step `repeat` of the receive chain). A ticket that does
open is compared with the open tickets of the last `[duplicates] days` days
through the term index; each one at least `threshold` percent alike gets a
`possible_duplicate_of` link and an internal note for the agents, never a
merge: an agent confirms with `#duplicate N`. Then the ticket is indexed for
the tickets after it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
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
    return MailTerms(exact_key(sender, text), terms(text))


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


def _window(runtime: Runtime, now: datetime) -> tuple[int, tuple[str, ...]] | None:
    """The first ticket id to look at and the statuses that count as open; None when
    detection is off or no ticket is recent enough."""
    days = runtime.settings.duplicates.days
    if days <= 0:
        return None
    first = duplicate_index.first_ticket_since(now - timedelta(days=days))
    if first is None:
        return None
    book = runtime.statuses
    return first, (*book.names_of_kind("open"), *book.names_of_kind("paused"))


def repeated_ticket(mail: MailTerms, runtime: Runtime, now: datetime) -> int | None:
    """The open, recent ticket whose first mail had the same sender and words."""
    window = _window(runtime, now)
    return (duplicate_index.repeated_ticket(mail.exact_key, *window)
            if window is not None else None)


def check_new_ticket(ticket: Ticket, mail: MailTerms, runtime: Runtime, now: datetime,
                     work: UnitOfWork | None = None) -> list[Finding]:
    """Link the new ticket to the open tickets it possibly duplicates (with a note each),
    index it, and return what was found."""
    df, indexed = duplicate_index.term_counts(mail.counts)
    found: list[Finding] = []
    window = _window(runtime, now)
    if window is not None and mail.counts:
        first, open_statuses = window
        looked_up = detect.lookup_terms(mail.counts, df, indexed)
        ranked = detect.rank_postings(duplicate_index.postings(looked_up, first), df, indexed)
        candidates = duplicate_index.open_candidates(
            [t for t in ranked if t != ticket.id], list(mail.counts), open_statuses)
        found = detect.possible_duplicates(mail.counts, df, indexed, candidates,
                                           runtime.settings.duplicates.threshold / 100)
    for finding in found:
        service.link_tickets(ticket, finding.ticket_id, POSSIBLE_DUPLICATE_OF,
                             actor="system", now=now, work=work)
    if found:  # one note however many: ten reports of one outage are ten notes, not thirty
        note = possible_duplicate_note(found, runtime.renderer)
        service.add_note(ticket, note, author="system", now=now, work=work)
    # its own counts are in the weights too: a term only it has is as rare as can be
    counted = {**df, **{term: df.get(term, 0) + 1 for term in mail.counts}}
    duplicate_index.index_ticket(ticket.id, mail.exact_key, mail.counts,
                                 norm(weights(mail.counts, counted, indexed + 1)))
    return found
