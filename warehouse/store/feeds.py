"""The ``feeds`` table: the feed list's names and tags, each feed's validators and health, and
the per-run record in ``run_feeds``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb

from ingest.models import (
    FeedOutcome,
    FeedSpec,
    FeedState,
)
from warehouse.store.bulk import IN_KEYS, as_list, bulk_insert, lookup, models, table_of


def register_feeds(con: duckdb.DuckDBPyConnection, specs: Sequence[FeedSpec]) -> None:
    """The feed list's names and tags, in one statement (``executemany`` took 4.5 ms a feed);
    only the feeds that are new or renamed or retagged (an upsert of 10,000 unchanged rows
    took 0.8 s each night)."""
    unique = {s.url: s for s in specs}  # one row per feed: an upsert may not touch a row twice
    known = {
        url: (name, tuple(tags or ()))
        for url, name, tags in lookup(
            con, f"SELECT feed_url, name, tags FROM feeds WHERE feed_url {IN_KEYS}", unique
        )
    }
    bulk_insert(
        con,
        "feeds",
        ("feed_url", "name", "tags"),
        [
            [s.url, s.name, list(s.tags)]
            for s in unique.values()
            if known.get(s.url) != (s.name, tuple(s.tags))
        ],
        {"tags": "VARCHAR[]"},
        "ON CONFLICT (feed_url) DO UPDATE SET name = excluded.name, tags = excluded.tags",
    )


FEED_STATE_FIELDS = (
    "feed_url",
    "etag",
    "last_modified",
    "body_hash",
    "not_modified_streak",
    "consecutive_failures",
    "next_fetch_after",
    "last_success_at",
    "listed",
    "poll_every",
    "poll_reason",
    "entries_per_day",
)


def feed_states(con: duckdb.DuckDBPyConnection, urls: Sequence[str]) -> dict[str, FeedState]:
    rows = lookup(
        con,
        "SELECT feed_url, etag, last_modified, body_hash, coalesce(not_modified_streak, 0),"
        " consecutive_failures, next_fetch_after, last_success_at, coalesce(listed_urls, []),"
        " to_seconds(poll_every_s), poll_reason, entries_per_day"
        f" FROM feeds WHERE feed_url {IN_KEYS}",
        urls,
    )
    return {s.feed_url: s for s in models(FeedState, FEED_STATE_FIELDS, rows)}


def _record_run_feeds(
    con: duckdb.DuckDBPyConnection,
    outcomes: Sequence[tuple[FeedOutcome, FeedState, int]],
    run_id: str,
) -> None:
    """The run's record of each feed: what came of it and how many entries were new."""
    bulk_insert(
        con,
        "run_feeds",
        RUN_FEED_COLUMNS,
        [
            [
                run_id,
                o.feed_url,
                o.name,
                o.status,
                o.http_status,
                o.error,
                o.entries_seen,
                new,
                o.elapsed_ms,
                o.entries_dropped,
                o.overflowed,
                o.missed_estimate,
                o.recovered,
            ]
            for o, _state, new in outcomes
        ],
        RUN_FEED_TYPES,
    )


def _feed_update_rows(
    outcomes: Sequence[tuple[FeedOutcome, FeedState, int]], at: datetime
) -> list[list[Any]]:
    """Each read feed's values for the health update, in ``FEED_UPDATE_COLUMNS``' order."""
    return [
        [
            o.feed_url,
            o.status,
            o.http_status,
            o.error,
            at,
            at if not o.failed else None,
            state.consecutive_failures,
            o.entries_seen if o.status in ("ok", "malformed") else None,
            state.etag,
            state.last_modified,
            state.body_hash,
            state.not_modified_streak,
            state.next_fetch_after,
            new_entries,
            list(state.listed),
            o.overflowed,
            int(state.poll_every.total_seconds()) if state.poll_every else None,
            state.poll_reason,
            state.entries_per_day,
            o.recovered,
        ]
        for o, state, new_entries in outcomes
        if o.status != "skipped"
    ]


def record_feed_outcomes(
    con: duckdb.DuckDBPyConnection,
    outcomes: Sequence[tuple[FeedOutcome, FeedState, int]],
    at: datetime,
    run_id: str | None = None,
) -> None:
    """Write each feed's outcome and resulting health state (with its count of new entries),
    and, with ``run_id``, the run's per-feed record."""
    if run_id:
        _record_run_feeds(con, outcomes, run_id)
    rows = _feed_update_rows(outcomes, at)
    if not rows:
        return
    selects = ", ".join(f"unnest(?::JSON::{t}[]) AS {c}" for c, t in FEED_UPDATE_COLUMNS.items())
    con.execute(
        f"""
        UPDATE feeds SET
            last_status = v.status, last_http_status = v.http_status, last_error = v.error,
            last_fetched_at = v.fetched_at,
            last_success_at = coalesce(v.success_at, feeds.last_success_at),
            consecutive_failures = v.consecutive_failures,
            entries_seen = coalesce(v.entries_seen, feeds.entries_seen),
            etag = v.etag, last_modified = v.last_modified, body_hash = v.body_hash,
            not_modified_streak = v.not_modified_streak, next_fetch_after = v.next_fetch_after,
            last_entries_new = v.entries_new, listed_urls = v.listed,
            rollovers = coalesce(feeds.rollovers, 0) + v.overflowed::INTEGER,
            last_rollover_at = CASE WHEN v.overflowed THEN v.fetched_at
                                    ELSE feeds.last_rollover_at END,
            poll_every_s = v.poll_every_s, poll_reason = v.poll_reason,
            entries_per_day = v.entries_per_day,
            recovered = coalesce(feeds.recovered, 0) + v.recovered
        FROM (SELECT {selects}) AS v
        WHERE feeds.feed_url = v.feed_url
        """,
        [as_list(col) for col in zip(*rows, strict=True)],
    )


RUN_FEED_COLUMNS = (
    "run_id",
    "feed_url",
    "name",
    "status",
    "http_status",
    "error",
    "entries_seen",
    "new_entries",
    "elapsed_ms",
    "entries_dropped",
    "overflowed",
    "missed_estimate",
    "recovered",
)


RUN_FEED_TYPES = {
    "http_status": "INTEGER",
    "entries_seen": "INTEGER",
    "new_entries": "INTEGER",
    "elapsed_ms": "INTEGER",
    "entries_dropped": "INTEGER",
    "overflowed": "BOOLEAN",
    "missed_estimate": "INTEGER",
    "recovered": "INTEGER",
}


# The per-feed values of a run's health update, in the order ``record_feed_outcomes`` builds.
FEED_UPDATE_COLUMNS = {
    "feed_url": "VARCHAR",
    "status": "VARCHAR",
    "http_status": "INTEGER",
    "error": "VARCHAR",
    "fetched_at": "TIMESTAMPTZ",
    "success_at": "TIMESTAMPTZ",
    "consecutive_failures": "INTEGER",
    "entries_seen": "INTEGER",
    "etag": "VARCHAR",
    "last_modified": "VARCHAR",
    "body_hash": "VARCHAR",
    "not_modified_streak": "INTEGER",
    "next_fetch_after": "TIMESTAMPTZ",
    "entries_new": "INTEGER",
    "listed": "VARCHAR[]",
    "overflowed": "BOOLEAN",
    "poll_every_s": "INTEGER",
    "poll_reason": "VARCHAR",
    "entries_per_day": "DOUBLE",
    "recovered": "INTEGER",
}


# Which feeds need attention is the ``feed_health`` view's ``needs_attention`` (migration
# 0006), the one definition the commands, the report and an analyst's SQL share.
FEED_HEALTH = """
    SELECT name, last_status AS status, last_http_status AS http,
           consecutive_failures AS failures, entries_seen AS entries,
           last_entries_new AS new, last_success_at AS last_success,
           next_fetch_after AS backoff_until, rollovers, recovered,
           entries_per_day AS per_day,
           coalesce(CAST(poll_every AS VARCHAR), 'nightly') AS polled_every,
           poll_reason AS why, last_error AS error, feed_url
    FROM feed_health
"""


def feed_health(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every feed with its health, the ones that need attention first."""
    return table_of(
        con.execute(f"{FEED_HEALTH} ORDER BY needs_attention DESC, consecutive_failures DESC, name")
    )


def feeds_needing_attention(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[Any]]:
    """The feeds that failed at their last fetch or are backing off, most failures first."""
    return table_of(
        con.execute(f"{FEED_HEALTH} WHERE needs_attention ORDER BY consecutive_failures DESC, name")
    )
