"""The knowledge base's search index in the desk's database: SQLite FTS5, PostgreSQL
full text, the same ranking on both.

Each article of each language is one row of three columns of *terms*: its
title, its aliases and its text, each already stemmed, folded and (German)
decompounded in Python by `postdesk.knowledge` (`LanguageIndex.fields`), so
the database only counts: PostgreSQL here has no Polish configuration, and
both engines then compare the same words.

* SQLite: an FTS5 table `kb_search` (`unicode61` tokenizer, no stemming),
  ranked with `bm25()` and the column weights of `postdesk.knowledge.index`
  (title and aliases 7, text 1).
* PostgreSQL: a table `kb_search` with a `tsvector` of the terms in the
  `simple` configuration, title weighted A, aliases B, text D, and a GIN
  index; ranked by `ts_rank` with those weights times each term's BM25
  idf, computed from the table's own counts.

A question is searched one term at a time and the scores summed (BM25 is a
sum over terms), so that a synonym counts `SYNONYM_WEIGHT` of the customer's
own word on both engines. `rebuild_knowledge` replaces every row when `kb/`
changes (the process that polls the live files calls it). Tables: migration 21,
and `install` for a new database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import peewee

from postdesk.knowledge.library import KnowledgeBase
from postdesk.store.db import database

TABLE = "kb_search"
#: Column weights, as the in-memory index has them: title, aliases, text.
WEIGHTS = (7.0, 7.0, 1.0)

_SQLITE_CREATE = (
    f'CREATE VIRTUAL TABLE IF NOT EXISTS "{TABLE}" USING fts5('
    "article UNINDEXED, language UNINDEXED, public UNINDEXED, request_types UNINDEXED, "
    "title, aliases, body, tokenize='unicode61 remove_diacritics 0')")
_PG_CREATE = (
    f'CREATE TABLE IF NOT EXISTS "{TABLE}" (id bigserial PRIMARY KEY, '
    "article varchar(100) NOT NULL, language varchar(16) NOT NULL, public boolean NOT NULL, "
    "request_types text NOT NULL, terms tsvector NOT NULL)",
    f'CREATE INDEX IF NOT EXISTS "{TABLE}_terms" ON "{TABLE}" USING gin (terms)',
    f'CREATE INDEX IF NOT EXISTS "{TABLE}_language" ON "{TABLE}" (language)',
)


@dataclass(frozen=True)
class IndexedArticle:
    """One article's row: what it is and its terms per field."""

    article: str
    language: str
    public: bool
    request_types: tuple[str, ...]
    title: Sequence[str]
    aliases: Sequence[str]
    body: Sequence[str]


def _postgres(db: peewee.Database | peewee.DatabaseProxy) -> bool:
    engine = db.obj if isinstance(db, peewee.DatabaseProxy) else db
    return isinstance(engine, peewee.PostgresqlDatabase)


def install(db: peewee.Database) -> None:
    """Create the index's table in `db` (idempotent)."""
    if _postgres(db):
        for statement in _PG_CREATE:
            db.execute_sql(statement)
    else:
        db.execute_sql(_SQLITE_CREATE)


def rebuild(rows: Iterable[IndexedArticle]) -> None:
    """Replace every row by `rows`, in one transaction (a search meanwhile sees the old
    index whole)."""
    postgres = _postgres(database)
    with database.atomic():
        database.execute_sql(f'DELETE FROM "{TABLE}"')
        values = [(r.article, r.language, r.public, " ".join(r.request_types),
                   " ".join(r.title), " ".join(r.aliases), " ".join(r.body)) for r in rows]
        if not values:
            return
        if postgres:
            statement = (f'INSERT INTO "{TABLE}" (article, language, public, request_types, '
                         "terms) VALUES (%s, %s, %s, %s, "
                         "setweight(to_tsvector('simple', %s), 'A') || "
                         "setweight(to_tsvector('simple', %s), 'B') || "
                         "setweight(to_tsvector('simple', %s), 'D'))")
        else:
            statement = (f'INSERT INTO "{TABLE}" (article, language, public, request_types, '
                         "title, aliases, body) VALUES (?, ?, ?, ?, ?, ?, ?)")
        cursor = database.cursor()
        cursor.executemany(statement, [(a, lang, int(p) if not postgres else p, t, *rest)
                                       for a, lang, p, t, *rest in values])


def _rows(kb: KnowledgeBase) -> Iterator[IndexedArticle]:
    for language, index in kb.indexes.items():
        for article, fields in zip(index.articles, index.fields, strict=True):
            yield IndexedArticle(article.id, language, article.public, article.request_types,
                                 fields["title"], fields["aliases"], fields["body"])


def rebuild_knowledge(kb: KnowledgeBase) -> None:
    """The index made to hold exactly `kb`'s articles, with the terms its in-memory index
    compares (stemmed, folded, German compounds split)."""
    rebuild(_rows(kb))


def count() -> int:
    """How many article rows (one per article and language) the index holds."""
    row = database.execute_sql(f'SELECT COUNT(*) FROM "{TABLE}"').fetchone()
    return int(row[0]) if row else 0


def search(language: str, weights: Mapping[str, float],
           limit: int, *, public_only: bool = False) -> list[Found]:
    """The best articles of `language` for the query terms `weights` (term -> how much it
    counts; 1 for the customer's own words), best first."""
    terms = [(term, weight) for term, weight in weights.items() if term.isalnum()]
    if not terms:
        return []
    postgres = _postgres(database)
    marker = "%s" if postgres else "?"
    parts, params = (_postgres_terms(language, terms) if postgres
                     else _sqlite_terms(language, terms))
    if not parts:
        return []
    key = "id" if postgres else "rowid"
    visible = " AND s.public" if postgres else " AND s.public = 1"
    # `best`: what an article having every own word best would score (the share's base)
    sql = (f"WITH found AS ({' UNION ALL '.join(parts)}), "
           "best AS (SELECT SUM(top) AS top FROM (SELECT MAX(score) AS top FROM found "
           "WHERE own GROUP BY term) AS tops) "
           "SELECT s.article, SUM(found.score) AS total, s.request_types, "
           "(SELECT top FROM best) FROM found "
           f'JOIN "{TABLE}" AS s ON s.{key} = found.id WHERE TRUE{visible if public_only else ""} '
           f"GROUP BY s.{key}, s.article, s.request_types ORDER BY total DESC, s.{key} "
           f"LIMIT {marker}")
    rows = database.execute_sql(sql, (*params, limit)).fetchall()
    return [Found(article, float(score), tuple(types.split()), float(best or score))
            for article, score, types, best in rows]


@dataclass(frozen=True)
class Found:
    """One article the database found: its score, where it applies, and the best score
    the question's own words could reach on this engine."""

    article: str
    score: float
    request_types: tuple[str, ...]
    best: float

    @property
    def share(self) -> float:
        return min(self.score / self.best, 1.0) if self.best > 0 else 0.0


def _sqlite_terms(language: str, terms: list[tuple[str, float]]
                  ) -> tuple[list[str], list[object]]:
    # bm25() is negative, better is lower; the four unindexed columns weigh nothing
    rank = f"bm25({TABLE}, 0, 0, 0, 0, {', '.join(str(w) for w in WEIGHTS)})"
    parts, params = [], []
    for number, (term, weight) in enumerate(terms):
        parts.append(f"SELECT rowid AS id, {number} AS term, {int(weight == 1.0)} AS own, "
                     f'-{rank} * ? AS score FROM "{TABLE}" WHERE "{TABLE}" MATCH ? '
                     "AND language = ?")
        params += [weight, f'"{term}"', language]
    return parts, params


def _postgres_terms(language: str,
                    terms: list[tuple[str, float]]) -> tuple[list[str], list[object]]:
    title, aliases, body = WEIGHTS
    top = max(WEIGHTS)
    rank_weights = f"{{{body / top},0,{aliases / top},{title / top}}}"
    count = database.execute_sql(f'SELECT count(*) FROM "{TABLE}" WHERE language = %s',
                                 (language,)).fetchone()[0]
    if not count:
        return [], []
    parts, params = [], []
    for number, (term, weight) in enumerate(terms):
        # each term's idf from the table's own counts, times its weight in the question
        parts.append(
            f"SELECT id, {number} AS term, {'TRUE' if weight == 1.0 else 'FALSE'} AS own, "
            "ts_rank(%s::float4[], terms, q, 1) * %s * "
            "ln(1 + (%s - count(*) OVER () + 0.5) / (count(*) OVER () + 0.5)) AS score "
            f"FROM \"{TABLE}\", to_tsquery('simple', %s) AS q "
            "WHERE language = %s AND terms @@ q")
        params += [rank_weights, weight, count, _quoted(term), language]
    return parts, params


def _quoted(term: str) -> str:
    return "'" + term.replace("'", "''") + "'"
