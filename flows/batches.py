"""A run's batches on Prefect: ``pipeline.schedule.store_in_batches`` with the tasks of
``flows.tasks`` for its stages, on the run's session and extraction pool, or on a Dask cluster."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

import duckdb
from prefect import get_run_logger

from flows import progress
from flows.tasks import as_is, extract_and_store, extract_pages, fetch_pages, store_seeds
from ingest.extract import analyze_later, extract_later
from ingest.models import Article, ExtractedPage, FeedEntry, FetchResult
from ingest.session import FetchSession
from ingest.settings import Settings
from pipeline.batch import AlertRules
from pipeline.plan import BatchPlan, chunks
from pipeline.run import Tally, index_for_search
from pipeline.runtime import feeding, pool_for
from pipeline.schedule import Stages, store_in_batches


def extract_on_runner(
    pages: Sequence[FetchResult], workers: int
) -> Callable[[], list[ExtractedPage | str]]:
    """Spread a batch's fetched pages over the task runner in a few chunks (not one task per
    page); the returned call gathers the results in order."""
    size = max(1, -(-len(pages) // max(1, workers * 2)))
    futures = [extract_pages.submit(chunk) for chunk in chunks(pages, size)]
    return lambda: [result for future in futures for result in future.result()]


def _pool(settings: Settings, pages: int, given: Executor | None) -> tuple[Executor | None, bool]:
    """The pool for a night's pages, and whether it is this call's to shut down: the run's own
    when it has one (it fetched the feeds), else one started for enough pages; none on a
    cluster."""
    if given is not None or settings.dask_address:
        return given, False
    return pool_for(pages, settings.extract_workers), True


def store_entries(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    entries: Sequence[FeedEntry],
    run_id: str,
    tally: Tally,
    seeds: Sequence[Article] = (),
    session: FetchSession | None = None,
    before_storing: Callable[[], None] = lambda: None,
    pool: Executor | None = None,
) -> None:
    """``pipeline.schedule.store_in_batches`` with Prefect tasks for its stages: fetching in a
    task on the run's session (a Dask worker fetches with a client of its own), extraction in
    the pool (``pool``, or one started here) or on the cluster, each batch stored in a task.
    ``seeds`` not stored yet are stored before the first batch, so every entry is checked
    against them."""
    logger = get_run_logger()
    rules = AlertRules.from_settings(settings)
    on_cluster = bool(settings.dask_address)
    # prefect-dask hands a quoted argument to the task as it is, so submissions to the cluster
    # go unquoted.
    passed: Callable[[Any], Any] = (lambda value: value) if on_cluster else as_is
    pool, owned = _pool(settings, len(entries), pool)
    local = None if on_cluster else as_is(session)
    patience = None if on_cluster else settings.batch_patience

    def fetch(batch: list[FeedEntry]) -> Callable[[], list[FetchResult]]:
        future = fetch_pages.submit(settings, passed(batch), local, patience, settings.batch_bytes)
        return future.result

    def extract(pages: list[FetchResult]) -> Callable[[], list[ExtractedPage | str]]:
        if on_cluster:
            return extract_on_runner(pages, settings.dask_workers)
        return extract_later(pages, pool)

    analysed = analyze_later([s.text for s in seeds], pool) if seeds else None

    def seeds_first() -> None:
        nonlocal analysed
        if analysed is not None:
            logger.info("seeds: %d new", store_seeds(con, as_is(seeds), as_is(analysed())))
            analysed = None

    stages = Stages(
        fetch=fetch,
        extract=extract,
        store=lambda batch, pages, done: extract_and_store(
            con, as_is(batch), as_is(pages), as_is(done), run_id, rules
        ),
        store_seeds=seeds_first,
        index=lambda: index_for_search(con, settings),
        advance=lambda n: progress.advance("pages", n),
    )
    if session is not None and not on_cluster:
        stages.unfetched, stages.late = session.unfetched, session.late
    progress.start("pages", len(entries))
    with feeding(pool, con, shutdown=owned):
        plan = BatchPlan(entries, settings.batch_bytes)
        store_in_batches(entries, plan, stages, tally, before_storing)
