"""Revisions: a stored article whose feed entry changed keeps its old text in ``revisions``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb

from ingest.models import (
    Article,
    CountryMention,
)
from warehouse.db import transaction
from warehouse.store.articles import insert_mentions
from warehouse.store.bulk import as_list
from warehouse.store.dedupe_index import drop_fingerprints, index_fingerprints

# The columns an article's new text replaces, as typed in the list parameters.
REVISED_COLUMNS = {
    "article_id": "VARCHAR",
    "title": "VARCHAR",
    "text": "VARCHAR",
    "content_hash": "VARCHAR",
    "author": "VARCHAR",
    "language": "VARCHAR",
    "entry_updated_at": "TIMESTAMPTZ",
    "entry_published_at": "TIMESTAMPTZ",
    "page_etag": "VARCHAR",
    "page_last_modified": "VARCHAR",
    "fetched_at": "TIMESTAMPTZ",
}

# What a re-check that found the stored text moves on: the entry's dates (kept when the entry
# gave none) and the page's validators.
MOVED_ON = (
    "entry_updated_at = coalesce(v.entry_updated_at, articles.entry_updated_at),"
    " entry_published_at = coalesce(v.entry_published_at, articles.entry_published_at)"
)


def store_revisions(
    con: duckdb.DuckDBPyConnection,
    revised: Sequence[Article],
    mentions: Sequence[CountryMention],
    index: Sequence[tuple[str, Sequence[int]]],
    at: datetime,
) -> int:
    """Keep each changed article's previous text as a revision and show the new one; returns
    how many changed.

    Articles whose text did not change only get their entry date moved on. Country mentions
    and index entries follow the new text; a revision never raises an alert. A few statements
    for the whole batch, in one transaction.
    """
    latest = {a.article_id: a for a in revised}
    if not latest:
        return 0
    new = ", ".join(f"unnest(?::JSON::{t}[]) AS {c}" for c, t in REVISED_COLUMNS.items())
    values = [as_list(getattr(a, c) for a in latest.values()) for c in REVISED_COLUMNS]
    with transaction(con):
        con.execute(f"CREATE OR REPLACE TEMP TABLE revised_batch AS SELECT {new}", values)
        changed = [
            r[0]
            for r in con.execute(
                "SELECT article_id FROM articles a JOIN revised_batch v USING (article_id)"
                " WHERE a.content_hash <> v.content_hash"
            ).fetchall()
        ]
        con.execute(
            f"UPDATE articles SET {MOVED_ON}, page_etag = v.page_etag,"
            " page_last_modified = v.page_last_modified FROM revised_batch v"
            " WHERE articles.article_id = v.article_id AND articles.content_hash = v.content_hash"
        )
        con.execute(
            "INSERT INTO revisions SELECT a.article_id, a.revision, a.title, a.text,"
            " a.content_hash, a.fetched_at, ?, a.run_id FROM articles a"
            " WHERE article_id IN (SELECT unnest(?::JSON::VARCHAR[])) ON CONFLICT DO NOTHING",
            [at, as_list(changed)],
        )
        con.execute(
            "UPDATE articles SET title = v.title, text = v.text, content_hash = v.content_hash,"
            f" author = v.author, language = v.language, {MOVED_ON}, page_etag = v.page_etag,"
            " page_last_modified = v.page_last_modified,"
            " fetched_at = v.fetched_at, revision = revision + 1 FROM revised_batch v"
            " WHERE articles.article_id = v.article_id"
            " AND articles.article_id IN (SELECT unnest(?::JSON::VARCHAR[]))",
            [as_list(changed)],
        )
        con.execute(
            "DELETE FROM country_mentions WHERE article_id IN (SELECT unnest(?::JSON::VARCHAR[]))",
            [as_list(changed)],
        )
        drop_fingerprints(con, changed)
        con.execute("DROP TABLE revised_batch")
        ids = set(changed)
        insert_mentions(con, [m for m in mentions if m.article_id in ids])
        index_fingerprints(con, [i for i in index if i[0] in ids])
    return len(changed)


def move_entry_dates(
    con: duckdb.DuckDBPyConnection,
    rows: Sequence[tuple[str, datetime | None, datetime | None]],
) -> None:
    """(article_id, entry updated date, entry published date) of articles whose page answered
    a re-check with 304: the dates move on (kept where the entry gave none), nothing else."""
    if not rows:
        return
    ids, updated, published = zip(*rows, strict=True)
    with transaction(con):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE revised_batch AS SELECT"
            " unnest(?::JSON::VARCHAR[]) AS article_id,"
            " unnest(?::JSON::TIMESTAMPTZ[]) AS entry_updated_at,"
            " unnest(?::JSON::TIMESTAMPTZ[]) AS entry_published_at",
            [as_list(ids), as_list(updated), as_list(published)],
        )
        con.execute(
            f"UPDATE articles SET {MOVED_ON} FROM revised_batch v"
            " WHERE articles.article_id = v.article_id"
        )
        con.execute("DROP TABLE revised_batch")
