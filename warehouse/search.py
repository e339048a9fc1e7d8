"""Full-text search over stored originals: BM25 through DuckDB's fts extension when it is
available and indexed, otherwise a plain substring match ranked by how often the terms occur.

The BM25 index covers a window of recent originals (``NEWSDESK_SEARCH_DAYS``) and is brought up
to date after each stored batch (``update_fts_index``): new and changed originals are indexed,
those that left the window are dropped, so a night costs its own articles, however long the
window or the history. Older originals are still found, by substring, after the ranked ones.

Terms and filters are always bound as query parameters.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.db import transaction
from warehouse.search_query import Query, condition, parse_query, snippet
from warehouse.store import as_list

SEARCH_TABLE = "search_docs"
FTS_SCHEMA = f"fts_main_{SEARCH_TABLE}"
STEMMER = "porter"


def extension_path() -> str:
    """Where the fts extension comes from: the duckdb-extension-fts package when installed, so
    BM25 needs no download at run time (DuckDB would otherwise fetch it on first use, which an
    offline machine cannot); DuckDB's own extension name otherwise."""
    try:
        import duckdb_extension_fts
    except ImportError:
        return "fts"
    found = sorted(Path(duckdb_extension_fts.__file__).parent.rglob("fts.duckdb_extension"))
    return str(found[-1]) if found else "fts"


def load_fts(con: duckdb.DuckDBPyConnection, extension: str | None = None) -> str | None:
    """None once the extension is loaded, else the first line of why not."""
    source = (extension or extension_path()).replace("'", "''")
    try:
        con.execute(f"LOAD '{source}'")
    except duckdb.Error as exc:
        return str(exc).splitlines()[0][:160]
    return None


def fts_ready(con: duckdb.DuckDBPyConnection, extension: str | None = None) -> str | None:
    """None when BM25 search can run, else why not (one line for the user)."""
    failure = load_fts(con, extension)
    if failure:
        return f"full-text extension unavailable ({failure}); using substring search"
    exists = con.execute(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?", [FTS_SCHEMA]
    ).fetchone()
    if not exists or not exists[0]:
        return "no full-text index yet (built by the next run); using substring search"
    return None


def _incremental(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the index has the layout ``update_fts_index`` keeps up to date (a warehouse of an
    older version has a ``search_docs`` copy of the texts instead, rebuilt every night)."""
    row = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE (schema_name = 'main'"
        " AND table_name = ? AND column_name = 'article_row') OR (schema_name = ?"
        " AND table_name = 'dict' AND column_name = 'df')",
        [SEARCH_TABLE, FTS_SCHEMA],
    ).fetchone()
    return bool(row and row[0] == 2)


def _create_index(con: duckdb.DuckDBPyConnection) -> None:
    """An empty index made by the extension itself: its stopwords, tokenizer and
    ``match_bm25`` macro, and the tables that ``update_fts_index`` then fills as
    ``create_fts_index`` does."""
    con.execute("DROP SCHEMA IF EXISTS fts_main_articles CASCADE")  # before the window existed
    con.execute(
        f"CREATE OR REPLACE TABLE {SEARCH_TABLE} (article_id VARCHAR, title VARCHAR, text VARCHAR)"
    )
    con.execute(
        f"PRAGMA create_fts_index('{SEARCH_TABLE}', 'article_id', 'title', 'text',"
        f" stemmer = '{STEMMER}', overwrite = 1)"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {SEARCH_TABLE} (article_id VARCHAR NOT NULL, docid BIGINT NOT"
        " NULL, title VARCHAR, content_hash VARCHAR NOT NULL, fetched_at TIMESTAMPTZ,"
        " article_row BIGINT NOT NULL)"
    )


# The originals the index covers: feed articles, not duplicates, fetched in the window.
_WINDOW = (
    "a.source = 'feed' AND a.duplicate_of IS NULL"
    " AND (?::TIMESTAMPTZ IS NULL OR a.fetched_at >= ?::TIMESTAMPTZ)"
)


def _remove_stale(con: duckdb.DuckDBPyConnection, since: datetime | None) -> int:
    """Take out of the index what left the window, became a duplicate or changed text. A
    re-extracted article is a new row (``store_batch(..., replace=True)``): its text may differ
    in what the content hash ignores (ß and ss, ligatures) and the tokenizer does not."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fts_gone AS SELECT s.docid FROM"
        f" {SEARCH_TABLE} s WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE"
        " a.article_id = s.article_id AND a.content_hash = s.content_hash AND a.rowid ="
        f" s.article_row AND a.title IS NOT DISTINCT FROM s.title AND {_WINDOW})",
        [since, since],
    )
    row = con.execute("SELECT count(*) FROM fts_gone").fetchone()
    gone = int(row[0]) if row else 0
    if gone:
        for statement in (
            f"UPDATE {FTS_SCHEMA}.dict d SET df = d.df - g.n FROM (SELECT termid,"
            f" count(DISTINCT docid) AS n FROM {FTS_SCHEMA}.terms WHERE docid IN"
            " (SELECT docid FROM fts_gone) GROUP BY termid) g WHERE d.termid = g.termid",
            f"DELETE FROM {FTS_SCHEMA}.dict WHERE df <= 0",
            f"DELETE FROM {FTS_SCHEMA}.terms WHERE docid IN (SELECT docid FROM fts_gone)",
            f"DELETE FROM {FTS_SCHEMA}.docs WHERE docid IN (SELECT docid FROM fts_gone)",
            f"DELETE FROM {SEARCH_TABLE} WHERE docid IN (SELECT docid FROM fts_gone)",
        ):
            con.execute(statement)
    con.execute("DROP TABLE fts_gone")
    return gone


def _indexing(ids: list[str], earliest: datetime) -> list[tuple[str, list[Any]]]:
    """The statements that index these originals, with their parameters."""
    fts = FTS_SCHEMA
    return [
        (
            "CREATE OR REPLACE TEMP TABLE fts_add AS SELECT (SELECT coalesce(max(docid), -1)"
            f" FROM {fts}.docs) + row_number() OVER (ORDER BY article_id) AS docid, article_id,"
            " title, text, content_hash, fetched_at, rowid AS article_row FROM articles"
            " WHERE article_id IN (SELECT unnest(?::JSON::VARCHAR[])) AND fetched_at >= ?",
            [as_list(ids), earliest],
        ),
        (
            "CREATE OR REPLACE TEMP TABLE fts_terms AS WITH tokenized AS ("
            + " UNION ALL ".join(
                f"SELECT unnest({fts}.tokenize({field})) AS w, docid, (SELECT fieldid"
                f" FROM {fts}.fields WHERE field = '{field}') AS fieldid FROM fts_add"
                for field in ("title", "text")
            )
            + f") SELECT stem(w, '{STEMMER}') AS term, docid, fieldid FROM tokenized"
            f" WHERE w NOT NULL AND len(w) > 0 AND w NOT IN (SELECT sw FROM {fts}.stopwords)",
            [],
        ),
        (
            f"INSERT INTO {fts}.dict SELECT (SELECT coalesce(max(termid), -1) FROM {fts}.dict)"
            " + row_number() OVER (ORDER BY term), term, 0 FROM (SELECT DISTINCT term FROM"
            f" fts_terms t WHERE NOT EXISTS (SELECT 1 FROM {fts}.dict d WHERE d.term = t.term))",
            [],
        ),
        (
            f"UPDATE {fts}.dict d SET df = d.df + n.n FROM (SELECT term, count(DISTINCT docid)"
            " AS n FROM fts_terms GROUP BY term) n WHERE d.term = n.term",
            [],
        ),
        (
            f"INSERT INTO {fts}.terms SELECT t.docid, t.fieldid, d.termid FROM fts_terms t"
            f" JOIN {fts}.dict d USING (term)",
            [],
        ),
        (
            f"INSERT INTO {fts}.docs SELECT a.docid, a.article_id, coalesce(c.n, 0) FROM"
            " fts_add a LEFT JOIN (SELECT docid, count(*) AS n FROM fts_terms GROUP BY docid)"
            " c USING (docid)",
            [],
        ),
        (
            f"INSERT INTO {SEARCH_TABLE} SELECT article_id, docid, title, content_hash,"
            " fetched_at, article_row FROM fts_add",
            [],
        ),
        ("DROP TABLE fts_terms", []),
        ("DROP TABLE fts_add", []),
    ]


def _add_new(con: duckdb.DuckDBPyConnection, since: datetime | None) -> int:
    """Tokenize, stem and count the window's originals not indexed yet, as ``create_fts_index``
    does for a whole table. Their texts are read by id and no earlier than the earliest of them
    was fetched: articles are appended in fetch order, so DuckDB skips the row groups before
    (a join on ids alone read every text in the warehouse)."""
    rows = con.execute(
        f"SELECT a.article_id, a.fetched_at FROM articles a WHERE {_WINDOW} AND NOT EXISTS"
        f" (SELECT 1 FROM {SEARCH_TABLE} s WHERE s.article_id = a.article_id)",
        [since, since],
    ).fetchall()
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    for statement, params in _indexing(ids, min(r[1] for r in rows)):
        con.execute(statement, params)
    return len(ids)


def update_fts_index(
    con: duckdb.DuckDBPyConnection, extension: str | None = None, since: datetime | None = None
) -> str | None:
    """Bring the BM25 index in line with the originals fetched since ``since`` (all when None):
    index the new and changed ones, drop those that left. Returns why not when the extension
    is missing.

    DuckDB's ``create_fts_index`` can only rebuild, about 1 ms per article: over a 90-day
    window of a few hundred articles a night that is tens of seconds every night, and all of
    it after the last page is extracted. Kept up to date as batches are stored, the index
    costs each night only its new articles, mostly while the pool still extracts. Tables and scores
    are those of ``create_fts_index`` (tests/test_search.py compares the two)."""
    failure = load_fts(con, extension)
    if failure:
        return failure
    try:
        if not _incremental(con):
            _create_index(con)
        with transaction(con):
            if _remove_stale(con, since) + _add_new(con, since):
                con.execute(f"DELETE FROM {FTS_SCHEMA}.stats")
                con.execute(
                    f"INSERT INTO {FTS_SCHEMA}.stats SELECT count(docid), sum(len) / count(len)"
                    f" FROM {FTS_SCHEMA}.docs"
                )
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    return None


COLUMNS = ["article_id", "score", "published_at", "site_name", "title", "url", "kind", "snippet"]
# An original's searchable text: its title, its text and the titles of its copies that hold a
# term (a copy's headline leads to the story it copies), folded as the terms are.
_DOCUMENT = (
    "lower(regexp_replace(coalesce(a.title, '') || ' ' || a.text || ' ' || coalesce(c.titles,"
    " ''), '\\s+', ' ', 'g'))"
)


# The originals searched: not duplicates, fetched since the date, naming the country.
_FILTERS = (
    "a.duplicate_of IS NULL AND (? IS NULL OR a.fetched_at >= ?)"
    " AND (? IS NULL OR EXISTS (SELECT 1 FROM country_mentions m WHERE "
    "m.article_id = a.article_id AND m.country_code = upper(?)))"
)


def _copies(query: Query) -> str:
    """A join of each original with the titles of its copies that hold one of the terms."""
    return (
        "LEFT JOIN (SELECT duplicate_of AS article_id, string_agg(title, ' ') AS titles FROM"
        " articles WHERE duplicate_of IS NOT NULL AND ("
        + " OR ".join("contains(lower(coalesce(title, '')), ?)" for _ in query.terms)
        + ") GROUP BY 1) c USING (article_id)"
    )


def search(
    con: duckdb.DuckDBPyConnection,
    terms: str,
    since: datetime | None = None,
    country: str | None = None,
    limit: int = 20,
    extension: str | None = None,
) -> tuple[list[str], list[tuple[Any, ...]], str | None]:
    """(columns, rows, notice): originals (feed articles and seeds) matching the query, best
    first: BM25 over the indexed window, then the others by how often the terms occur (older
    originals, seeds, and those whose copies' headlines hold a term). The query: words,
    ``"phrases"``, ``a OR b``, ``-word`` (see ``warehouse.search_query``)."""
    query = parse_query(terms)
    if not query.groups:
        return COLUMNS, [], None
    notice = fts_ready(con, extension)
    params: list[Any] = [*query.terms, since, since, country, country]
    ranked = _ranked(con, query, params, limit) if notice is None else []
    # Seeds are not indexed (they are no night's news) and are no older article either.
    window = (
        "true"
        if notice is not None
        else f"(a.source = 'seed' OR a.article_id IN (SELECT article_id FROM {SEARCH_TABLE}))"
    )
    rest = _counted(con, query, window, params, limit - len(ranked), ranked)
    older = sum(1 for r in rest if not r[-1])
    if notice is None and older:
        notice = (
            f"{older} older article(s), outside the ranked search window "
            "(NEWSDESK_SEARCH_DAYS), matched by substring and listed last"
        )
    return COLUMNS, [_row(query, r) for r in ranked + rest], notice


def _ranked(
    con: duckdb.DuckDBPyConnection, query: Query, params: list[Any], limit: int
) -> list[tuple[Any, ...]]:
    """The indexed originals that match, by BM25: words as the index stems them."""
    stemmed = f"({FTS_SCHEMA}.match_bm25(a.article_id, ?, conjunctive := 1) IS NOT NULL)"
    cond, cond_params = condition(query, _DOCUMENT, stemmed, "lower(coalesce(c.titles, ''))")
    return con.execute(
        f"SELECT * FROM (SELECT a.article_id, {FTS_SCHEMA}.match_bm25(a.article_id, ?,"
        " conjunctive := 0) AS score, a.published_at, a.site_name, a.title,"
        " coalesce(a.canonical_url, a.url), a.source, a.text, c.titles, true"
        f" FROM {SEARCH_TABLE} s JOIN articles a USING (article_id) {_copies(query)}"
        f" WHERE {_FILTERS} AND {cond}) WHERE score IS NOT NULL ORDER BY score DESC LIMIT ?",
        [query.words, *params, *cond_params, limit],
    ).fetchall()


def _row(query: Query, r: tuple[Any, ...]) -> tuple[Any, ...]:
    """A result as printed: the score rounded, seeds marked, and where the terms occur."""
    article_id, score, published, site, title, url, source, text, copy_titles, _ = r
    kind = "seed" if source == "seed" else "article"
    found = snippet(query, title, text) or (
        f"copy: {snippet(query, copy_titles)}" if copy_titles else ""
    )
    return (article_id, round(float(score), 3), published, site, title, url, kind, found)


def _counted(
    con: duckdb.DuckDBPyConnection,
    query: Query,
    window: str,
    params: list[Any],
    limit: int,
    ranked: list[tuple[Any, ...]],
) -> list[tuple[Any, ...]]:
    """The matching originals BM25 did not rank, by how often the terms occur as written;
    the last field (``window``, an SQL test) says whether the article is in the ranked
    window."""
    if limit <= 0:
        return []
    cond, cond_params = condition(query, _DOCUMENT)
    occurrences = " + ".join(
        f"(length({_DOCUMENT}) - length(replace({_DOCUMENT}, ?, ''))) / length(?)"
        for _ in query.terms
    )
    pairs = [x for t in query.terms for x in (t, t)]
    return con.execute(
        f"SELECT a.article_id, {occurrences} AS score, a.published_at, a.site_name, a.title,"
        f" coalesce(a.canonical_url, a.url), a.source, a.text, c.titles, {window} FROM articles"
        f" a {_copies(query)} WHERE {_FILTERS} AND {cond} AND"
        " a.article_id NOT IN (SELECT unnest(?::VARCHAR[])) ORDER BY score DESC,"
        " a.published_at DESC LIMIT ?",
        [*pairs, *params, *cond_params, [r[0] for r in ranked], limit],
    ).fetchall()
