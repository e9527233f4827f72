"""How alike two tickets' words are: cosine of tf-idf vectors (pure).

A term's weight in a ticket is (1 + ln count) * ln((N + 51) / (df + 0.5)), where N
tickets are indexed and df of them have the term (50 more count as a prior): words every ticket has
("account", "email") count little, rare ones (a product name, an error code)
much. A ticket's norm is taken when it is indexed and stored with it, so
scoring a candidate reads only the terms it shares with the new mail.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

#: Tickets counted as if indexed already: on a young desk every word is rare, and without
#: them the words two tickets share would weigh less than the ones they do not.
PRIOR_TICKETS = 50


def idf(df: int, tickets: int) -> float:
    """Weight of a term that `df` of `tickets` indexed tickets have."""
    return math.log((tickets + PRIOR_TICKETS + 1) / (df + 0.5))


def weights(counts: Mapping[str, int], df: Mapping[str, int], tickets: int) -> dict[str, float]:
    """The tf-idf weight of each term (a term nobody has yet counts as df 0)."""
    return {term: (1 + math.log(count)) * idf(df.get(term, 0), tickets)
            for term, count in counts.items()}


def norm(vector: Mapping[str, float]) -> float:
    return math.sqrt(sum(w * w for w in vector.values())) or 1.0


def cosine(a: Mapping[str, float], b: Mapping[str, float], *, a_norm: float | None = None,
           b_norm: float | None = None) -> float:
    """Cosine of two weight vectors; stored norms may be passed in (then `b` may hold only
    the terms shared with `a`)."""
    if len(b) < len(a):
        a, b, a_norm, b_norm = b, a, b_norm, a_norm
    dot = sum(w * b.get(term, 0.0) for term, w in a.items())
    return dot / ((a_norm or norm(a)) * (b_norm or norm(b)))
