"""Which open tickets a new one possibly duplicates (pure).

The store hands over the candidates it found by index (tickets sharing the new
mail's rarer terms) with the terms they share; each is scored with
`similarity.cosine` and the ones at or above the threshold come back, most
alike first. Nothing is ever merged from here: a possible duplicate is a link
and a note for an agent to confirm (`#duplicate N`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from postdesk.duplicates.similarity import cosine, idf, norm, weights

#: How many postings-bearing (rarest) terms of a new mail look for candidates.
LOOKUP_TERMS = 8
#: How many candidates (those sharing the most weight of the rarest terms) are scored.
SCORED = 10
#: How many of a mail's terms (the weightiest) stand for it: a long mail costs no more
#: to compare and index than a short one.
SIGNATURE_TERMS = 32


@dataclass(frozen=True)
class Candidate:
    """An open ticket the index offered: the counts of the terms it shares with the mail,
    and its vector's norm as stored when it was indexed."""

    ticket_id: int
    shared: Mapping[str, int]
    norm: float


@dataclass(frozen=True)
class Finding:
    """A possible duplicate: the older ticket and how alike the two are (0..1)."""

    ticket_id: int
    score: float


def signature(counts: Mapping[str, int], df: Mapping[str, int], tickets: int
              ) -> dict[str, int]:
    """The SIGNATURE_TERMS terms of the mail with the highest weights, with their counts."""
    if len(counts) <= SIGNATURE_TERMS:
        return dict(counts)
    weighed = weights(counts, df, tickets)
    kept = sorted(weighed, key=lambda t: (-weighed[t], t))[:SIGNATURE_TERMS]
    return {term: counts[term] for term in kept}


def lookup_weights(counts: Mapping[str, int], df: Mapping[str, int], tickets: int
                   ) -> dict[str, float]:
    """The terms whose tickets are looked up, with their weights: the rarest ones some
    ticket has, skipping words so common that they name no problem (in more than 2 % of
    tickets, at least 100)."""
    common = max(100, tickets // 50)
    present = [t for t in counts if 0 < df.get(t, 0) <= common]
    rarest = sorted(present, key=lambda t: (df[t], t))[:LOOKUP_TERMS]
    return {term: round(idf(df[term], tickets), 4) for term in rarest}


def possible_duplicates(counts: Mapping[str, int], df: Mapping[str, int], tickets: int,
                        candidates: Sequence[Candidate], threshold: float,
                        limit: int = 3) -> list[Finding]:
    """The candidates at least `threshold` alike, most alike first (at most `limit`)."""
    term_idf = {term: idf(df.get(term, 0), tickets) for term in counts}
    mine = {term: (1 + math.log(count)) * term_idf[term] for term, count in counts.items()}
    mine_norm = norm(mine)
    found = []
    for candidate in candidates:  # the terms it shares are the mail's: their idf is known
        theirs = {term: (1 + math.log(count)) * (term_idf[term] if term in term_idf
                                                 else idf(df.get(term, 0), tickets))
                  for term, count in candidate.shared.items()}
        score = cosine(mine, theirs, a_norm=mine_norm, b_norm=candidate.norm)
        if score >= threshold:
            found.append(Finding(candidate.ticket_id, round(score, 3)))
    return sorted(found, key=lambda f: (-f.score, f.ticket_id))[:limit]
