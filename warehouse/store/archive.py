"""The ``page_archive``: the latest raw body of each page, compressed, for re-extraction."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import duckdb

from ingest.archive import ArchivedPage
from warehouse.store.bulk import as_list


def archive_pages(con: duckdb.DuckDBPyConnection, pages: Sequence[ArchivedPage]) -> None:
    """Keep the latest body of each page (a re-fetched page replaces its older body).

    One statement per batch: bodies travel base64-encoded in a JSON list, because DuckDB's
    ``executemany`` runs row by row (2.5 s for a batch of 200 pages, against 40 ms)."""
    latest = {p.canonical_url: p for p in pages}
    if not latest:
        return
    columns = {
        "canonical_url": "VARCHAR",
        "url": "VARCHAR",
        "final_url": "VARCHAR",
        "status": "INTEGER",
        "headers": "VARCHAR",
        "entry": "VARCHAR",
        "body_zstd": "VARCHAR",
        "raw_bytes": "INTEGER",
        "stored_bytes": "INTEGER",
        "fetched_at": "TIMESTAMPTZ",
        "run_id": "VARCHAR",
    }
    values = [
        as_list(
            base64.b64encode(getattr(p, c)).decode("ascii") if c == "body_zstd" else getattr(p, c)
            for p in latest.values()
        )
        for c in columns
    ]
    selects = ", ".join(
        f"{'from_base64' if c == 'body_zstd' else ''}(unnest(?::JSON::{t}[])) AS {c}"
        for c, t in columns.items()
    )
    con.execute(f"INSERT OR REPLACE INTO page_archive SELECT {selects}", values)


def archived_pages(
    con: duckdb.DuckDBPyConnection, since: datetime | None, batch_size: int
) -> Iterator[list[dict[str, Any]]]:
    """Archived pages fetched since a time, in batches (the archive may not fit in memory)."""
    cur = con.cursor()
    cur.execute(
        "SELECT canonical_url, url, final_url, status, headers, entry, body_zstd, fetched_at,"
        " run_id FROM page_archive"
        " WHERE ? IS NULL OR fetched_at >= ? ORDER BY fetched_at, canonical_url",
        [since, since],
    )
    columns = [d[0] for d in cur.description or []]
    while rows := cur.fetchmany(batch_size):
        yield [dict(zip(columns, r, strict=True)) for r in rows]


def archive_stats(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """(pages, raw bytes, stored bytes) of the archive."""
    row = con.execute(
        "SELECT count(*), coalesce(sum(raw_bytes), 0), coalesce(sum(stored_bytes), 0)"
        " FROM page_archive"
    ).fetchone()
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)
