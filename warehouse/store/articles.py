"""The ``articles`` table with what each article brings along in the same transaction: its
country mentions, alerts, near-duplicate index entries and archived page."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import duckdb

from ingest.archive import ArchivedPage
from ingest.models import (
    Alert,
    Article,
    CountryMention,
    StoredEntry,
)
from warehouse.db import transaction
from warehouse.store.alerts import ALERT_FIELDS
from warehouse.store.archive import archive_pages
from warehouse.store.bulk import (
    IN_KEYS,
    as_list,
    bulk_insert,
    count_rows,
    insert_models,
    lookup,
    models,
)
from warehouse.store.dedupe_index import drop_fingerprints, index_fingerprints

ARTICLE_COLUMNS = (
    "article_id",
    "source",
    "url",
    "canonical_url",
    "feed_url",
    "title",
    "author",
    "published_at",
    "fetched_at",
    "site_name",
    "language",
    "text",
    "content_hash",
    "duplicate_of",
    "run_id",
    "raw_entry",
    "similarity",
    "dup_method",
    "entry_updated_at",
    "entry_published_at",
    "page_etag",
    "page_last_modified",
)


ARTICLE_TYPES = {
    "published_at": "TIMESTAMPTZ",
    "fetched_at": "TIMESTAMPTZ",
    "entry_updated_at": "TIMESTAMPTZ",
    "entry_published_at": "TIMESTAMPTZ",
    "similarity": "DOUBLE",
    "raw_entry": "VARCHAR",
}


def _article_row(a: Article) -> list[Any]:
    row = a.model_dump()
    row["raw_entry"] = json.dumps(a.raw_entry) if a.raw_entry is not None else None
    return [row[c] for c in ARTICLE_COLUMNS]


def stored_urls(con: duckdb.DuckDBPyConnection, canonical_urls: Iterable[str]) -> set[str]:
    """Which of these canonical URLs are stored already (looked up for this batch only)."""
    rows = lookup(
        con, f"SELECT canonical_url FROM articles WHERE canonical_url {IN_KEYS}", canonical_urls
    )
    return {r[0] for r in rows}


def originals_by_hash(con: duckdb.DuckDBPyConnection, hashes: Iterable[str]) -> dict[str, str]:
    """content_hash → article_id of the stored original with that text."""
    rows = lookup(
        con,
        f"""
        SELECT content_hash, coalesce(duplicate_of, article_id)
        FROM articles WHERE content_hash {IN_KEYS}
        QUALIFY row_number() OVER (PARTITION BY content_hash
                                   ORDER BY duplicate_of IS NOT NULL, fetched_at) = 1
        """,
        hashes,
    )
    return {r[0]: r[1] for r in rows}


def _by_key(
    con: duckdb.DuckDBPyConnection, key: str, columns: str, keys: Iterable[str]
) -> dict[str, Any]:
    """key → (columns…) of the stored articles with these keys."""
    rows = lookup(con, f"SELECT {key}, {columns} FROM articles WHERE {key} {IN_KEYS}", keys)
    return {r[0]: tuple(r[1:]) for r in rows}


def stored_entries(
    con: duckdb.DuckDBPyConnection, canonical_urls: Iterable[str]
) -> dict[str, StoredEntry]:
    """canonical_url → what the stored article remembers of its entry and page."""
    columns = "entry_updated_at, entry_published_at, fetched_at, page_etag, page_last_modified"
    rows = _by_key(con, "canonical_url", columns, canonical_urls)
    fields = ("updated_at", "published_at", "fetched_at", "etag", "last_modified")
    return {url: StoredEntry(**dict(zip(fields, row, strict=True))) for url, row in rows.items()}


def articles_by_id(con: duckdb.DuckDBPyConnection, ids: Iterable[str]) -> dict[str, Article]:
    rows = lookup(
        con, f"SELECT {', '.join(ARTICLE_COLUMNS)} FROM articles WHERE article_id {IN_KEYS}", ids
    )
    out = {}
    for row in rows:
        data = dict(zip(ARTICLE_COLUMNS, row, strict=True))
        data["raw_entry"] = json.loads(data["raw_entry"]) if data["raw_entry"] else None
        out[data["article_id"]] = Article.model_validate(data)
    return out


def texts_and_originals(
    con: duckdb.DuckDBPyConnection, ids: Iterable[str]
) -> dict[str, tuple[str, str]]:
    """article_id → (text, id of its original) for verifying candidates."""
    return _by_key(con, "article_id", "text, coalesce(duplicate_of, article_id)", ids)


def originals_among(con: duckdb.DuckDBPyConnection, ids: Iterable[str]) -> set[str]:
    """Which of these stored articles are originals (not duplicates of another)."""
    rows = lookup(
        con,
        f"SELECT article_id FROM articles WHERE duplicate_of IS NULL AND article_id {IN_KEYS}",
        ids,
    )
    return {r[0] for r in rows}


MENTION_COLUMNS = (
    "article_id",
    "country_code",
    "country_name",
    "mentions",
    "first_offset",
    "snippet",
)


def mentions_for(con: duckdb.DuckDBPyConnection, codes: Iterable[str]) -> list[CountryMention]:
    rows = lookup(
        con,
        "SELECT article_id, country_code, country_name, mentions, coalesce(first_offset, 0),"
        f" coalesce(snippet, '') FROM country_mentions WHERE country_code {IN_KEYS}",
        codes,
    )
    return models(CountryMention, MENTION_COLUMNS, rows)


def insert_mentions(con: duckdb.DuckDBPyConnection, mentions: Sequence[CountryMention]) -> None:
    insert_models(
        con,
        "country_mentions",
        MENTION_COLUMNS,
        mentions,
        {"mentions": "INTEGER", "first_offset": "INTEGER"},
    )


def _insert_alerts(
    con: duckdb.DuckDBPyConnection, alerts: Sequence[Alert], channels: Sequence[tuple[str, str]]
) -> None:
    """Alerts, each pending on every channel (id, label) that should receive its digest."""
    insert_models(con, "alerts", ALERT_FIELDS, alerts, {"raised_at": "TIMESTAMPTZ"})
    if alerts and channels:
        con.execute(
            "INSERT INTO alert_deliveries (alert_id, channel_id, channel, status)"
            " SELECT a, c, l, 'pending' FROM (SELECT unnest(?::JSON::VARCHAR[]) AS a),"
            " (SELECT unnest(?::JSON::VARCHAR[]) AS c, unnest(?::JSON::VARCHAR[]) AS l)"
            " ON CONFLICT DO NOTHING",
            [
                as_list(a.alert_id for a in alerts),
                as_list(c for c, _ in channels),
                as_list(lbl for _, lbl in channels),
            ],
        )


def _delete(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> None:
    """Articles with their mentions and index entries (re-extraction writes them again)."""
    con.execute(f"DELETE FROM country_mentions WHERE article_id {IN_KEYS}", [as_list(ids)])
    drop_fingerprints(con, ids)
    con.execute(f"DELETE FROM articles WHERE article_id {IN_KEYS}", [as_list(ids)])


def store_batch(
    con: duckdb.DuckDBPyConnection,
    articles: Sequence[Article],
    mentions: Sequence[CountryMention],
    alerts: Sequence[Alert],
    archive: Sequence[ArchivedPage] = (),
    index: Sequence[tuple[str, Sequence[int]]] = (),
    channels: Sequence[tuple[str, str]] = (),
    replace: bool = False,
    before_commit: Callable[[], None] = lambda: None,
) -> int:
    """Write articles with their mentions, alerts, near-duplicate index entries and archived
    pages in one transaction. Returns the number of articles inserted: already stored ones are
    left as they are, unless ``replace`` (re-extraction) rewrites them. ``before_commit`` runs
    with everything written and nothing committed (the crash tests kill the run there).
    """
    with transaction(con):
        if replace:
            _delete(con, [a.article_id for a in articles])
        before = count_rows(con, "articles")
        index_fingerprints(con, index)
        bulk_insert(
            con, "articles", ARTICLE_COLUMNS, [_article_row(a) for a in articles], ARTICLE_TYPES
        )
        insert_mentions(con, mentions)
        _insert_alerts(con, alerts, channels)
        archive_pages(con, archive)
        before_commit()
        return count_rows(con, "articles") - before
