"""Full-text search over stored originals: BM25 through DuckDB's fts extension when it is
available and indexed, otherwise a plain substring match ranked by how often the terms occur.

The BM25 index covers a window of recent originals (``NEWSDESK_SEARCH_DAYS``), copied into
``search_docs`` and indexed again after each run: DuckDB's fts index cannot be updated in place,
and rebuilding it over the whole history would make every night cost more than the one before.
Older originals are still found, by substring, after the ranked ones.

Terms and filters are always bound as query parameters.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

SEARCH_TABLE = "search_docs"
FTS_SCHEMA = f"fts_main_{SEARCH_TABLE}"


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


def build_fts_index(
    con: duckdb.DuckDBPyConnection, extension: str | None = None, since: datetime | None = None
) -> str | None:
    """(Re)build the BM25 index over the originals fetched since ``since`` (all when None);
    returns why not when the extension is missing. Articles are appended in fetch order, so
    DuckDB skips the row groups before the window: the cost follows the window, not the
    warehouse."""
    failure = load_fts(con, extension)
    if failure:
        return failure
    try:
        # The index over all of ``articles`` that versions before the window built.
        con.execute("DROP SCHEMA IF EXISTS fts_main_articles CASCADE")
        con.execute(
            f"CREATE OR REPLACE TABLE {SEARCH_TABLE} AS SELECT article_id, title, text"
            " FROM articles WHERE source = 'feed' AND duplicate_of IS NULL"
            " AND (?::TIMESTAMPTZ IS NULL OR fetched_at >= ?::TIMESTAMPTZ)",
            [since, since],
        )
        con.execute(
            f"PRAGMA create_fts_index('{SEARCH_TABLE}', 'article_id', 'title', 'text',"
            " overwrite = 1)"
        )
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    return None


def search(
    con: duckdb.DuckDBPyConnection,
    terms: str,
    since: datetime | None = None,
    country: str | None = None,
    limit: int = 20,
    extension: str | None = None,
) -> tuple[list[str], list[tuple[Any, ...]], str | None]:
    """(columns, rows, notice): originals matching the terms, best first: BM25 over the
    indexed window, then older originals by substring."""
    columns = ["article_id", "score", "published_at", "site_name", "title", "url"]
    words = [w for w in terms.split() if w]
    if not words:
        return columns, [], None
    notice = fts_ready(con, extension)
    filters = (
        "a.source = 'feed' AND a.duplicate_of IS NULL AND (? IS NULL OR a.fetched_at >= ?)"
        " AND (? IS NULL OR EXISTS (SELECT 1 FROM country_mentions m WHERE "
        "m.article_id = a.article_id AND m.country_code = upper(?)))"
    )
    params: list[Any] = [since, since, country, country]
    if notice is not None:
        return columns, _substring(con, words, filters, params, limit, ""), notice
    rows = con.execute(
        f"SELECT * FROM (SELECT a.article_id, {FTS_SCHEMA}.match_bm25(a.article_id, ?,"
        " conjunctive := 1) AS score, a.published_at, a.site_name, a.title, a.url"
        f" FROM {SEARCH_TABLE} s JOIN articles a USING (article_id)"
        f" WHERE {filters}) WHERE score IS NOT NULL ORDER BY score DESC LIMIT ?",
        [terms, *params, limit],
    ).fetchall()
    if len(rows) < limit:
        older = _substring(
            con,
            words,
            filters,
            params,
            limit - len(rows),
            f" AND a.article_id NOT IN (SELECT article_id FROM {SEARCH_TABLE})",
        )
        if older:
            notice = (
                f"{len(older)} older article(s), outside the ranked search window "
                "(NEWSDESK_SEARCH_DAYS), matched by substring and listed last"
            )
        rows += older
    return columns, rows, notice


def _substring(
    con: duckdb.DuckDBPyConnection,
    words: list[str],
    filters: str,
    params: list[Any],
    limit: int,
    extra: str,
) -> list[tuple[Any, ...]]:
    """Originals containing every word, ranked by how often the words occur."""
    conditions = " AND ".join(
        "(lower(a.text) LIKE '%' || lower(?) || '%' OR lower(coalesce(a.title, '')) LIKE "
        "'%' || lower(?) || '%')"
        for _ in words
    )
    occurrences = " + ".join(
        "(length(a.text) - length(replace(lower(a.text), lower(?), ''))) / length(?)" for _ in words
    )
    pairs = [x for w in words for x in (w, w)]
    return con.execute(
        f"SELECT a.article_id, {occurrences} AS score, a.published_at, a.site_name,"
        f" a.title, a.url FROM articles a WHERE {filters} AND {conditions}{extra}"
        " ORDER BY score DESC, a.published_at DESC LIMIT ?",
        [*pairs, *params, *pairs, limit],
    ).fetchall()
