"""The ``entry_queue``: new entries kept from the moment their feed is marked read until they
are stored, so a run that dies leaves them to the next one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import duckdb

from ingest.models import (
    FeedEntry,
    FeedOutcome,
    FeedState,
)
from warehouse.db import transaction
from warehouse.store.bulk import IN_KEYS, as_list, lookup
from warehouse.store.feeds import record_feed_outcomes
from warehouse.store.runs import log_fetches


def record_feeds_and_queue(
    con: duckdb.DuckDBPyConnection,
    outcomes: Sequence[tuple[FeedOutcome, FeedState, int]],
    entries: Sequence[FeedEntry],
    at: datetime,
    run_id: str,
) -> None:
    """Feed outcomes (with their new validators) and the new entries, in one transaction: a
    feed is never marked as read without its entries being kept somewhere."""
    with transaction(con):
        record_feed_outcomes(con, outcomes, at, run_id)
        con.execute(
            "INSERT INTO entry_queue (canonical_url, feed_url, entry, run_id, queued_at)"
            " SELECT unnest(?::JSON::VARCHAR[]), unnest(?::JSON::VARCHAR[]),"
            " unnest(?::JSON::VARCHAR[]), ?, ? ON CONFLICT DO NOTHING",
            [
                as_list(e.canonical_url for e in entries),
                as_list(e.feed_url for e in entries),
                as_list(e.model_dump_json() for e in entries),
                run_id,
                at,
            ],
        )


# Runs that may carry a queued entry and end without finishing before it is given up: an
# entry whose page kills the process (memory, a crash in a parser) would otherwise be taken
# first by every later run, and end each of them the same way.
MAX_CARRIES = 3


def queued_entries(
    con: duckdb.DuckDBPyConnection, run_id: str, at: datetime, max_carries: int = MAX_CARRIES
) -> list[FeedEntry]:
    """Entries runs that did not finish left behind, oldest first, counted as carried once
    more; those carried ``max_carries`` times already are given up instead, each logged in
    ``fetch_log`` with the reason."""
    with transaction(con):
        given_up = con.execute(
            "DELETE FROM entry_queue WHERE carried >= ? RETURNING canonical_url, feed_url, carried",
            [max_carries],
        ).fetchall()
        log_fetches(
            con,
            [
                {
                    "run_id": run_id,
                    "url": url,
                    "feed_url": feed_url,
                    "kind": "page",
                    "stage": "queue",
                    "error": f"given up: {carried} runs that carried this entry did not finish",
                    "attempts": carried,
                    "logged_at": at,
                }
                for url, feed_url, carried in given_up
            ],
        )
        rows = con.execute(
            "UPDATE entry_queue SET carried = carried + 1 RETURNING entry, queued_at, canonical_url"
        ).fetchall()
    rows.sort(key=lambda r: (r[1], r[2]))
    return [FeedEntry.model_validate_json(r[0]) for r in rows]


def dequeue(con: duckdb.DuckDBPyConnection, canonical_urls: Iterable[str]) -> None:
    con.execute(
        "DELETE FROM entry_queue WHERE canonical_url IN (SELECT unnest(?::JSON::VARCHAR[]))",
        [as_list(canonical_urls)],
    )


def queued_urls(con: duckdb.DuckDBPyConnection, canonical_urls: Iterable[str]) -> set[str]:
    """Which of these entries wait in the queue already (a poll queued them)."""
    rows = lookup(
        con, f"SELECT canonical_url FROM entry_queue WHERE canonical_url {IN_KEYS}", canonical_urls
    )
    return {r[0] for r in rows}
