"""The nightly flow: feeds → new entries → pages → text → duplicates → countries → store → alerts.

This module only wires the engine (``pipeline/``) into Prefect: a task per stage and per batch
(never one per article), the flows' bodies, and the artifacts Prefect's UI shows.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from flows import progress
from ingest.extract import analyze_later, extract_later, extract_many, start_forkserver
from ingest.faults import crash_point
from ingest.feedlist import load_feed_list
from ingest.fetch import FetchLimits, FetchSession, fetch_all_sync
from ingest.models import (
    Article,
    ExtractedPage,
    FeedEntry,
    FeedOutcome,
    FeedSpec,
    FeedState,
    FetchResult,
    RunSummary,
)
from ingest.settings import Settings
from pipeline import batch, delivery, feeds
from pipeline.batch import AlertRules, release
from pipeline.plan import BatchPlan, chunks
from pipeline.run import (
    Tally,
    backfill_index,
    finish,
    index_for_search,
    new_run_id,
    pending_seeds,
    recorded_run,
    summary_markdown,
)
from pipeline.runtime import feeding, freeze_startup_heap, pool_for
from pipeline.schedule import Stages, store_in_batches
from warehouse import store
from warehouse.lock import run_lock

# Large task arguments (entries, pages, extraction results) are passed in ``quote``: Prefect
# would otherwise walk every element of them looking for futures, about 1 s of CPU per run of
# 300 pages, taken from extraction on two cores.


@functools.cache
def engine_logs() -> None:
    """The engine logs through ``logging`` under ``pipeline``: its records go to Prefect's
    console handler (through the root logger) and, with the handlers Prefect gives its extra
    loggers, to the flow run's logs in the UI."""
    engine = logging.getLogger("pipeline")
    engine.setLevel(get_run_logger().getEffectiveLevel())
    for handler in logging.getLogger("prefect.extra").handlers:
        if handler not in engine.handlers:
            engine.addHandler(handler)


# The engine's steps as tasks, as they are (a task per stage and per batch).
store_seeds = task(batch.store_seeds, cache_policy=NO_CACHE)
read_feeds = task(feeds.read_feeds, cache_policy=NO_CACHE)
select_new = task(batch.select_new, cache_policy=NO_CACHE)
revise = task(batch.revise, cache_policy=NO_CACHE)
extract_and_store = task(batch.store_fetched, name="extract_and_store", cache_policy=NO_CACHE)
reextract_batch = task(batch.reprocess, name="reextract_batch", cache_policy=NO_CACHE)


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def fetch_feeds(
    settings: Settings, specs: Sequence[FeedSpec], states: dict[str, FeedState], now: datetime
) -> list[FetchResult | str]:
    return feeds.fetch_due_feeds(
        settings, specs, states, now, lambda n: progress.advance("feeds", n)
    )


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def fetch_pages(
    settings: Settings,
    entries: Sequence[FeedEntry],
    session: FetchSession | None = None,
    patience: float | None = None,
    byte_budget: int | None = None,
) -> list[FetchResult]:
    """A batch's pages, through the run's session; on a Dask worker (no session), a client of
    its own. With ``patience``, the pages done within that many seconds, and earlier batches'
    slow pages done since, up to ``byte_budget`` bytes of bodies (``FetchSession.fetch_some``;
    the rest is given back through ``FetchSession.unfetched``)."""
    urls, limits = [e.url for e in entries], FetchLimits.for_pages(settings)
    if session is None:
        return fetch_all_sync(settings, urls, limits)
    pages = (
        session.fetch(urls, limits)
        if patience is None
        else session.fetch_some(urls, limits, patience, byte_budget)
    )
    for host, (asked, applied) in session.new_crawl_delays().items():
        get_run_logger().info(
            "%s: robots.txt asks for a Crawl-delay of %g s; its pages are spaced %g s apart",
            host,
            asked,
            applied,
        )
    return pages


@task(cache_policy=NO_CACHE)
def extract_pages(pages: Sequence[FetchResult]) -> list[ExtractedPage | str]:
    """Extraction, fingerprints and countries of a chunk of pages, wherever the task runner
    puts it (a Dask worker when the flow runs on a cluster)."""
    return extract_many(pages)


def extract_on_runner(
    pages: Sequence[FetchResult], workers: int
) -> Callable[[], list[ExtractedPage | str]]:
    """Spread a batch's fetched pages over the task runner in a few chunks (not one task per
    page); the returned call gathers the results in order."""
    size = max(1, -(-len(pages) // max(1, workers * 2)))
    futures = [extract_pages.submit(chunk) for chunk in chunks(pages, size)]
    return lambda: [result for future in futures for result in future.result()]


@task(cache_policy=NO_CACHE)
def deliver_alerts(settings: Settings, con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """The digests (``pipeline.delivery``); the run's own is also published as a Prefect
    markdown artifact."""
    failed = delivery.deliver_digests(settings, con, run_id)
    body = delivery.run_digest(con, run_id)
    if body is not None:
        create_markdown_artifact(
            key="new-countries", markdown=body, description=f"New countries, run {run_id}"
        )
    return failed


def finish_run(
    con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str, tally: Tally
) -> None:
    finish(con, settings, run_id, tally, lambda: deliver_alerts(settings, con, run_id))


def publish_summary(summary: RunSummary, outcomes: Sequence[FeedOutcome]) -> None:
    """The run's summary and per-feed outcome as a Prefect artifact (shown in the UI)."""
    create_markdown_artifact(
        key="nightly-summary",
        markdown=summary_markdown(summary, outcomes),
        description=f"newsdesk run {summary.run_id}",
    )


def flow_for(settings: Settings) -> Any:
    """The nightly flow on the task runner the settings ask for: in-process threads and an
    extraction process pool by default, prefect-dask's DaskTaskRunner on the cluster at
    ``NEWSDESK_DASK_ADDRESS`` (page fetching and extraction then run on its workers; the
    warehouse stays with the flow, its single writer)."""
    if not settings.dask_address:
        return nightly
    from prefect_dask import DaskTaskRunner

    return nightly.with_options(task_runner=DaskTaskRunner(address=settings.dask_address))


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
    logger = get_run_logger()
    specs = load_feed_list(settings.feeds)
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    with run_lock(settings.db, run_id, settings.lock_wait) as note:
        if note:
            logger.warning("%s", note)
        return _nightly(settings, specs, now, run_id)


def _nightly(
    settings: Settings, specs: Sequence[FeedSpec], now: datetime, run_id: str
) -> RunSummary:
    logger = get_run_logger()
    tally = Tally(RunSummary(run_id=run_id, feeds_total=len(specs)))
    summary = tally.summary
    if not settings.dask_address:
        start_forkserver(settings.extract_workers)  # workers' code loads while feeds are read
    with (
        recorded_run(settings.db, run_id, now, summary) as con,
        FetchSession(settings) as session,
    ):
        carried = store.queued_entries(con, run_id, now)
        if carried:
            logger.warning("%d entries left by an unfinished run are processed first", len(carried))
        indexed = backfill_index(con)
        if indexed:
            logger.info("near-duplicate index: %d stored originals indexed", indexed)
        # Stored just before the first batch (store_entries): their analysis runs in a warm
        # pool worker, and fetching starts at once.
        seeds = pending_seeds(con, settings.seeds_dir)
        store.register_feeds(con, specs)
        states = store.feed_states(con, [s.url for s in specs])
        progress.start("feeds", len(specs))
        results = fetch_feeds(settings, quote(specs), quote(states), now)
        crash_point("feeds-fetched")
        outcomes, entries = read_feeds(settings, quote(specs), quote(results), quote(states))
        fresh, updated = select_new(con, quote([*entries, *carried]))
        feeds.count_feeds(summary, outcomes)
        summary.entries_seen = len(entries)
        summary.new_entries = len(fresh)
        logger.info("entries: %d seen, %d new", len(entries), len(fresh))
        recorded = functools.partial(
            feeds.record_feeds, con, settings, run_id, now, results, outcomes, states, fresh
        )
        store_entries(con, settings, fresh, run_id, tally, seeds, session, recorded)
        if updated:
            pages = fetch_pages(settings, quote(updated), quote(session))
            summary.revisions = revise(con, quote(updated), quote(pages), run_id)
            release(pages)
            logger.info(
                "updated entries: %d refetched, %d with new text", len(updated), summary.revisions
            )
        store.dequeue(con, [e.canonical_url for e in (*carried, *fresh)])
        crash_point("stored")
        finish_run(con, settings, run_id, tally)
        publish_summary(summary, outcomes)
        return summary


def store_entries(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    entries: Sequence[FeedEntry],
    run_id: str,
    tally: Tally,
    seeds: Sequence[Article] = (),
    session: FetchSession | None = None,
    before_storing: Callable[[], None] = lambda: None,
) -> None:
    """``pipeline.schedule.store_in_batches`` with Prefect tasks for its stages: fetching in a
    task on the run's session (a Dask worker fetches with a client of its own), extraction in
    the pool or on the cluster, each batch stored in a task. ``seeds`` not stored yet are
    stored before the first batch, so every entry is checked against them."""
    logger = get_run_logger()
    rules = AlertRules.from_settings(settings)
    on_cluster = bool(settings.dask_address)
    # prefect-dask hands a quoted argument to the task as it is, so submissions to the cluster
    # go unquoted.
    passed: Callable[[Any], Any] = (lambda value: value) if on_cluster else quote
    pool = None if on_cluster else pool_for(len(entries), settings.extract_workers)
    local = None if on_cluster else quote(session)
    patience = None if on_cluster else settings.batch_patience

    def fetch(batch: list[FeedEntry]) -> Callable[[], list[FetchResult]]:
        future = fetch_pages.submit(settings, passed(batch), local, patience, settings.batch_bytes)
        return future.result  # type: ignore[no-any-return]

    def extract(pages: list[FetchResult]) -> Callable[[], list[ExtractedPage | str]]:
        if on_cluster:
            return extract_on_runner(pages, settings.dask_workers)
        return extract_later(pages, pool)

    analysed = analyze_later([s.text for s in seeds], pool) if seeds else None

    def seeds_first() -> None:
        nonlocal analysed
        if analysed is not None:
            logger.info("seeds: %d new", store_seeds(con, quote(seeds), quote(analysed())))
            analysed = None

    stages = Stages(
        fetch=fetch,
        extract=extract,
        store=lambda batch, pages, done: extract_and_store(
            con, quote(batch), quote(pages), quote(done), run_id, rules
        ),
        store_seeds=seeds_first,
        index=lambda: index_for_search(con, settings),
        advance=lambda n: progress.advance("pages", n),
    )
    if session is not None and not on_cluster:
        stages.unfetched, stages.late = session.unfetched, session.late
    progress.start("pages", len(entries))
    with feeding(pool, con):
        plan = BatchPlan(entries, settings.batch_bytes)
        store_in_batches(entries, plan, stages, tally, before_storing)
