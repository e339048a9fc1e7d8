"""The engine's steps (``pipeline/``) as Prefect tasks: one per stage and per batch, never one
per article. The flows (nightly, reextract, ingest-urls) are built from these.

Large task arguments (entries, pages, extraction results) are passed through ``as_is``:
Prefect would otherwise walk every element of them looking for futures, about 1 s of CPU per
run of 300 pages, taken from extraction on two cores.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from datetime import datetime
from typing import TypeVar, cast

import duckdb
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from flows import progress
from ingest.extract import extract_many
from ingest.fetch import FetchLimits
from ingest.models import (
    ExtractedPage,
    FeedEntry,
    FeedOutcome,
    FeedSpec,
    FeedState,
    FetchResult,
    RunSummary,
)
from ingest.session import FetchSession, fetch_all_sync
from ingest.settings import Settings
from pipeline import batch, delivery, feeds, gaps
from pipeline.run import Tally, finish, summary_markdown

T = TypeVar("T")


def as_is(value: T) -> T:
    """``value`` for a task argument, wrapped so Prefect hands it over without walking it
    (typed as the value: the task receives the value itself)."""
    return cast(T, quote(value))


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
store_seeds = task(cache_policy=NO_CACHE)(batch.store_seeds)
read_feeds = task(cache_policy=NO_CACHE)(feeds.read_feeds)
select_new = task(cache_policy=NO_CACHE)(batch.select_new)
revise = task(cache_policy=NO_CACHE)(batch.revise)
fill_gaps = task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)(gaps.fill_gaps)
extract_and_store = task(name="extract_and_store", cache_policy=NO_CACHE)(batch.store_fetched)
reextract_batch = task(name="reextract_batch", cache_policy=NO_CACHE)(batch.reprocess)


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def fetch_feeds(
    settings: Settings,
    specs: Sequence[FeedSpec],
    states: dict[str, FeedState],
    now: datetime,
    pool: Executor | None = None,
) -> list[FetchResult | str]:
    return feeds.fetch_due_feeds(
        settings, specs, states, now, lambda n: progress.advance("feeds", n), pool
    )


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def fetch_pages(
    settings: Settings,
    entries: Sequence[FeedEntry],
    session: FetchSession | None = None,
    patience: float | None = None,
    byte_budget: int | None = None,
    headers_for: dict[str, dict[str, str]] | None = None,
) -> list[FetchResult]:
    """A batch's pages, through the run's session; on a Dask worker (no session), a client of
    its own. With ``patience``, the pages done within that many seconds, and earlier batches'
    slow pages done since, up to ``byte_budget`` bytes of bodies (``FetchSession.fetch_some``;
    the rest is given back through ``FetchSession.unfetched``). ``headers_for``: request
    headers by URL (the conditional GETs that re-check stored pages)."""
    urls, limits = [e.url for e in entries], FetchLimits.for_pages(settings)
    if session is None:
        return fetch_all_sync(settings, urls, limits, headers_for)
    pages = (
        session.fetch(urls, limits, headers_for)
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


@task(cache_policy=NO_CACHE)
def deliver_alerts(settings: Settings, con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """The digests (``pipeline.delivery``); the run's own is also published as a Prefect
    markdown artifact."""
    failed = delivery.deliver_digests(settings, con)
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
