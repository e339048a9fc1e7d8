"""The nightly flow: feeds → new entries → pages → text → duplicates → countries → store → alerts.

This module only wires the engine (``pipeline/``) into Prefect: the flow's body, over the tasks
of ``flows/tasks.py`` and the batches of ``flows/batches.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import flow, get_run_logger

from flows import progress
from flows.batches import store_entries
from flows.tasks import (
    as_is,
    engine_logs,
    fetch_feeds,
    fetch_pages,
    fill_gaps,
    finish_run,
    publish_summary,
    read_feeds,
    revise,
    select_new,
)
from ingest.extract import ExtractionPool, start_forkserver
from ingest.faults import crash_point
from ingest.feed_list import load_feed_list
from ingest.models import FeedEntry, FeedSpec, RunSummary
from ingest.session import FetchSession
from ingest.settings import Settings
from pipeline import feeds
from pipeline.batch import recheck_headers, release
from pipeline.gaps import count_recovered
from pipeline.plan import chunks
from pipeline.run import Run, backfill_index, one_run, pending_seeds
from pipeline.runtime import feed_pool, freeze_startup_heap
from warehouse import store


def flow_for(settings: Settings) -> Any:
    """The nightly flow on the task runner the settings ask for: in-process threads and an
    extraction process pool by default, prefect-dask's DaskTaskRunner on the cluster at
    ``NEWSDESK_DASK_ADDRESS`` (page fetching and extraction then run on its workers; the
    warehouse stays with the flow, its single writer)."""
    if not settings.dask_address:
        return nightly
    from prefect_dask.task_runners import DaskTaskRunner

    runner: Any = DaskTaskRunner(address=settings.dask_address)  # its futures are Prefect's
    return nightly.with_options(task_runner=runner)


@flow(name="newsdesk-nightly", log_prints=False, timeout_seconds=4 * 3600)
def nightly(
    feeds_file: str | None = None,
    db_path: str | None = None,
    seeds_dir: str | None = None,
    allow_hosts: list[str] | None = None,
) -> RunSummary:
    """One nightly run. Parameters override the ``NEWSDESK_*`` settings."""
    freeze_startup_heap()
    engine_logs()
    settings = Settings.from_parameters(feeds_file, db_path, seeds_dir, allow_hosts)
    specs = load_feed_list(settings.feeds)
    if not settings.dask_address:
        start_forkserver(settings.extract_workers)  # workers' code loads while feeds are read
    with one_run(settings, len(specs)) as run, FetchSession(settings) as session:
        pool = None if settings.dask_address else feed_pool(len(specs), settings.extract_workers)
        try:
            return _nightly(settings, specs, run, session, pool)
        finally:
            if pool is not None:
                pool.shutdown()


def _read_feeds(
    settings: Settings,
    specs: Sequence[FeedSpec],
    run: Run,
    pool: ExtractionPool | None,
    carried: Sequence[FeedEntry],
) -> feeds.FeedNight:
    """The night's feeds, a chunk at a time (``pipeline.feeds.FEED_CHUNK``): fetched, read,
    their gaps filled, the new entries selected, and the chunk recorded with its entries
    queued, before the next chunk is fetched."""
    con, now = run.con, run.now
    night = feeds.FeedNight()
    for chunk in chunks(specs, feeds.FEED_CHUNK):
        states = store.feed_states(con, [s.url for s in chunk])
        results = fetch_feeds(settings, as_is(chunk), as_is(states), now, as_is(pool))
        crash_point("feeds-fetched")
        outcomes, entries = read_feeds(settings, as_is(chunk), as_is(results), as_is(states))
        recovered = fill_gaps(
            settings, as_is(chunk), as_is(outcomes), as_is(entries), as_is(states), now
        )
        # Carried before recovered: an entry a poll queued is no recovery (select_new keeps
        # the first); the carried go with the first chunk.
        taken = [*entries, *(carried if not night.outcomes else ()), *recovered]
        fresh, updated = select_new(con, as_is(night.unseen(taken)))
        outcomes = count_recovered(outcomes, fresh)
        feeds.record_feeds(con, settings, run.run_id, now, results, outcomes, states, fresh)
        night.add(outcomes, len(entries), fresh, updated)
    return night


def _nightly(
    settings: Settings,
    specs: Sequence[FeedSpec],
    run: Run,
    session: FetchSession,
    pool: ExtractionPool | None,
) -> RunSummary:
    logger = get_run_logger()
    con, run_id, now, tally = run.con, run.run_id, run.now, run.tally
    summary = tally.summary
    carried = store.queued_entries(con, run_id, now)
    if carried:
        logger.info(
            "%d queued entries (from intra-day polls, or left by an unfinished run) first",
            len(carried),
        )
    indexed = backfill_index(con)
    if indexed:
        logger.info("near-duplicate index: %d stored originals indexed", indexed)
    # Stored just before the first batch (store_entries): their analysis runs in a warm
    # pool worker, and fetching starts at once.
    seeds = pending_seeds(con, settings.seeds_dir)
    store.register_feeds(con, specs)
    progress.start("feeds", len(specs))
    night = _read_feeds(settings, specs, run, pool, carried)
    feeds.count_feeds(summary, night.outcomes)
    summary.entries_seen, summary.new_entries = night.entries_seen, len(night.fresh)
    logger.info("entries: %d seen, %d new", night.entries_seen, len(night.fresh))
    fresh, updated, outcomes = night.fresh, night.updated, night.outcomes
    store_entries(con, settings, fresh, run_id, tally, seeds, session, pool=pool)
    if updated:
        checks = recheck_headers(con, updated)
        pages = fetch_pages(settings, as_is(updated), as_is(session), headers_for=as_is(checks))
        summary.revisions = revise(con, as_is(updated), as_is(pages), run_id)
        logger.info(
            "updated entries: %d re-checked, %d not modified, %d with new text",
            len(updated),
            sum(p.status == 304 for p in pages),
            summary.revisions,
        )
        release(pages)
    store.dequeue(con, [e.canonical_url for e in (*carried, *fresh)])
    crash_point("stored")
    finish_run(con, settings, run_id, tally)
    publish_summary(summary, outcomes)
    return summary
