"""Reads and writes of the pipeline, one module per table family. Functions receive the
connection; the run owns it.

    articles.py      articles with their mentions, alerts, index entries and page, as one write
    revisions.py     a changed article's previous text
    feeds.py         the feed list, each feed's validators and health, the per-run feed record
    queue.py         entries between their feed being read and their article being stored
    runs.py          runs and the fetch log
    alerts.py        alerts and their delivery to each channel
    dedupe_index.py  the near-duplicate index
    archive.py       raw page bodies, for re-extraction
    bulk.py          one statement for many rows (list parameters as JSON)

Writes are idempotent (keys derived from content, ``ON CONFLICT DO NOTHING``) so a rerun after a
crash converges to the same rows; each batch is written in one transaction
(``warehouse.db.transaction``).

The names below are the store's interface, used as ``store.store_batch(con, ...)``.
"""

from warehouse.store.alerts import (
    known_countries,
    mark_delivered,
    pending_deliveries,
    record_delivery,
    run_alerts,
    undelivered_alerts,
    undelivered_digests,
)
from warehouse.store.archive import archive_pages, archive_stats, archived_pages
from warehouse.store.articles import (
    ARTICLE_COLUMNS,
    articles_by_id,
    mentions_for,
    originals_among,
    originals_by_hash,
    store_batch,
    stored_entries,
    stored_urls,
    texts_and_originals,
)
from warehouse.store.bulk import as_list, bulk_insert
from warehouse.store.dedupe_index import (
    drop_fingerprints,
    drop_stale_fingerprints,
    index_fingerprints,
    index_stats,
    near_candidates,
    unindexed_originals,
)
from warehouse.store.feeds import (
    feed_health,
    feed_states,
    feeds_needing_attention,
    record_feed_outcomes,
    register_feeds,
)
from warehouse.store.queue import (
    MAX_CARRIES,
    dequeue,
    queued_entries,
    queued_urls,
    record_feeds_and_queue,
)
from warehouse.store.revisions import move_entry_dates, store_revisions
from warehouse.store.runs import (
    FETCH_LOG_COLUMNS,
    finish_run,
    log_fetches,
    polls_since_last_run,
    recent_runs,
    record_poll,
    start_run,
)

__all__ = [
    "ARTICLE_COLUMNS",
    "FETCH_LOG_COLUMNS",
    "MAX_CARRIES",
    "archive_pages",
    "archive_stats",
    "archived_pages",
    "articles_by_id",
    "as_list",
    "bulk_insert",
    "dequeue",
    "drop_fingerprints",
    "drop_stale_fingerprints",
    "feed_health",
    "feed_states",
    "feeds_needing_attention",
    "finish_run",
    "index_fingerprints",
    "index_stats",
    "known_countries",
    "log_fetches",
    "mark_delivered",
    "mentions_for",
    "move_entry_dates",
    "near_candidates",
    "originals_among",
    "originals_by_hash",
    "pending_deliveries",
    "polls_since_last_run",
    "queued_entries",
    "queued_urls",
    "recent_runs",
    "record_delivery",
    "record_feed_outcomes",
    "record_feeds_and_queue",
    "record_poll",
    "register_feeds",
    "run_alerts",
    "start_run",
    "store_batch",
    "store_revisions",
    "stored_entries",
    "stored_urls",
    "texts_and_originals",
    "undelivered_alerts",
    "undelivered_digests",
    "unindexed_originals",
]
