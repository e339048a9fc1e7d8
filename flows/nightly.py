"""The nightly flow: feeds → new entries → pages → text → duplicates → countries → store → alerts.

This module only wires ``ingest`` and ``warehouse`` into Prefect tasks, one per stage and per
batch (never one per article); the logic lives in plain functions.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from ingest import alerts as alerting
from ingest.articles import build_article, tag_countries
from ingest.dedupe import mark_duplicates
from ingest.extract import extract_many, extraction_pool
from ingest.feedlist import load_feed_list
from ingest.feeds import read_feed
from ingest.fetch import FetchLimits, conditional_headers, fetch_all_sync
from ingest.models import (
    Article,
    CountryMention,
    FeedEntry,
    FeedOutcome,
    FeedSpec,
    FetchResult,
    RunSummary,
)
from ingest.seeds import load_seeds
from ingest.settings import Settings
from warehouse import store
from warehouse.db import connect

# Pages are fetched, extracted and stored in batches: memory stays bounded and a crash loses at
# most one batch of work, while the per-batch overhead stays small next to the extraction.
BATCH_SIZE = 200
# Below this many new pages a process pool costs more to start than it saves.
POOL_MIN_PAGES = 24


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@task(cache_policy=NO_CACHE)
def load_seed_articles(con: duckdb.DuckDBPyConnection, seeds_dir: Path) -> int:
    """Store the seeds (idempotent) with their countries: the baseline that never alerts."""
    seeds = load_seeds(seeds_dir)
    known = store.originals_by_hash(con, [s.content_hash for s in seeds])
    seeds = mark_duplicates(seeds, {h: a for h, a in known.items()})
    return store.store_batch(con, seeds, tag_countries(seeds), [])


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def fetch_feeds(
    settings: Settings, specs: Sequence[FeedSpec], con: duckdb.DuckDBPyConnection
) -> list[FetchResult]:
    states = store.feed_states(con, [s.url for s in specs])
    headers = {s.url: conditional_headers(states.get(s.url)) for s in specs}
    return fetch_all_sync(
        settings, [s.url for s in specs], FetchLimits.for_feeds(settings), headers
    )


@task(cache_policy=NO_CACHE)
def parse_feeds(
    settings: Settings, specs: Sequence[FeedSpec], results: Sequence[FetchResult]
) -> tuple[list[FeedOutcome], list[FeedEntry]]:
    logger = get_run_logger()
    outcomes, entries = [], []
    for spec, result in zip(specs, results, strict=True):
        outcome, parsed = read_feed(spec.url, spec.name, result, settings.max_entries_per_feed)
        outcomes.append(outcome)
        if parsed is not None and outcome.status != "error":
            entries.extend(parsed.entries)
        if outcome.status == "error":
            logger.warning("feed %s: %s (%d ms)", spec.name, outcome.error, outcome.elapsed_ms)
        else:
            logger.info(
                "feed %s: %s, %d entries (%d ms)",
                spec.name,
                outcome.status,
                outcome.entries_seen,
                outcome.elapsed_ms,
            )
    return outcomes, entries


@task(cache_policy=NO_CACHE)
def select_new(con: duckdb.DuckDBPyConnection, entries: Sequence[FeedEntry]) -> list[FeedEntry]:
    """One entry per canonical URL, and only URLs not stored yet."""
    unique: dict[str, FeedEntry] = {}
    for entry in entries:
        unique.setdefault(entry.canonical_url, entry)
    stored = store.stored_urls(con, unique)
    return [e for url, e in unique.items() if url not in stored]


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def fetch_pages(settings: Settings, entries: Sequence[FeedEntry]) -> list[FetchResult]:
    return fetch_all_sync(settings, [e.url for e in entries], FetchLimits.for_pages(settings))


@task(cache_policy=NO_CACHE)
def extract_and_store(
    con: duckdb.DuckDBPyConnection,
    entries: Sequence[FeedEntry],
    pages: Sequence[FetchResult],
    pool: Executor | None,
    run_id: str,
) -> tuple[list[Article], list[CountryMention], int, int]:
    """Extract a batch, mark duplicates, tag countries, store; returns what was stored."""
    logger = get_run_logger()
    now = datetime.now(UTC)
    fetched = [(e, p) for e, p in zip(entries, pages, strict=True) if p.ok]
    extracted = extract_many([p for _, p in fetched], pool)
    log_rows: list[dict[str, Any]] = []
    candidates: list[Article] = []
    for entry, page in zip(entries, pages, strict=True):
        log_rows.append(
            {
                "run_id": run_id,
                "url": entry.url,
                "feed_url": entry.feed_url,
                "kind": "page",
                "stage": "fetch",
                "status": page.status,
                "error": page.error,
                "bytes": len(page.content),
                "elapsed_ms": page.elapsed_ms,
                "attempts": page.attempts,
                "logged_at": now,
            }
        )
        if page.error:
            logger.warning("page %s: %s", entry.url, page.error)
    for (entry, page), result in zip(fetched, extracted, strict=True):
        if isinstance(result, str):
            logger.warning("page %s: %s", entry.url, result)
            log_rows.append(
                {
                    "run_id": run_id,
                    "url": entry.url,
                    "feed_url": entry.feed_url,
                    "kind": "page",
                    "stage": "extract",
                    "status": page.status,
                    "error": result,
                    "logged_at": now,
                }
            )
            continue
        candidates.append(build_article(entry, result, now, run_id))
    known = store.originals_by_hash(con, [a.content_hash for a in candidates])
    articles = mark_duplicates(candidates, known)
    mentions = tag_countries(articles)
    baseline = store.known_countries(con)
    raised = alerting.new_country_alerts(mentions, baseline, run_id, now)
    stored = store.store_batch(con, articles, mentions, raised)
    store.log_fetches(con, log_rows)
    failed = sum(1 for r in log_rows if r["error"])
    return articles, mentions, stored, failed


@task(cache_policy=NO_CACHE)
def deliver_alerts(settings: Settings, con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """Send one digest of every undelivered alert; publish it as a Prefect artifact."""
    logger = get_run_logger()
    pending = store.undelivered_alerts(con)
    if not pending:
        return None
    mentions = store.mentions_for(con, [a.country_code for a in pending])
    run_articles = store.articles_by_id(con, [m.article_id for m in mentions])
    run_articles = {
        k: v
        for k, v in run_articles.items()
        if v.run_id in {a.run_id for a in pending} and v.duplicate_of is None
    }
    items = alerting.build_digest(pending, mentions, run_articles)
    body = alerting.render_digest(items, run_id)
    create_markdown_artifact(
        key="new-countries", markdown=body, description=f"New countries, run {run_id}"
    )
    subject = f"newsdesk: {len(items)} new countries in the news"
    errors = [
        e
        for url in settings.alert_urls
        if (e := alerting.deliver_webhook(url, subject, body, items)) is not None
    ]
    at = None if errors else datetime.now(UTC)
    store.mark_delivered(con, [a.alert_id for a in pending], at, "; ".join(errors) or None)
    if errors:
        logger.warning("alert delivery failed, will retry next run: %s", "; ".join(errors))
    logger.info(
        "new countries: %s", ", ".join(f"{i.country_name} ({i.country_code})" for i in items)
    )
    return body


def _settings(
    feeds_file: str | None,
    db_path: str | None,
    seeds_dir: str | None,
    allow_hosts: list[str] | None,
) -> Settings:
    overrides: dict[str, Any] = {}
    if feeds_file:
        overrides["feeds"] = Path(feeds_file)
    if db_path:
        overrides["db"] = Path(db_path)
    if seeds_dir:
        overrides["seeds_dir"] = Path(seeds_dir)
    if allow_hosts:
        overrides["allow_hosts"] = list(allow_hosts)
    return Settings(**overrides)


@flow(name="newsdesk-nightly", log_prints=False, timeout_seconds=4 * 3600)
def nightly(
    feeds_file: str | None = None,
    db_path: str | None = None,
    seeds_dir: str | None = None,
    allow_hosts: list[str] | None = None,
) -> RunSummary:
    """One nightly run. Parameters override the ``NEWSDESK_*`` settings."""
    settings = _settings(feeds_file, db_path, seeds_dir, allow_hosts)
    logger = get_run_logger()
    started = time.monotonic()
    specs = load_feed_list(settings.feeds)
    con = connect(settings.db)
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    summary = RunSummary(run_id=run_id, feeds_total=len(specs))
    store.start_run(con, run_id, now)
    pool: Executor | None = None
    try:
        seeded = load_seed_articles(con, settings.seeds_dir)
        logger.info("seeds: %d new", seeded)
        store.register_feeds(con, specs)
        results = fetch_feeds(settings, specs, con)
        outcomes, entries = parse_feeds(settings, specs, results)
        store.record_feed_outcomes(con, outcomes, datetime.now(UTC))
        summary.feeds_failed = sum(o.status == "error" for o in outcomes)
        summary.feeds_ok = len(outcomes) - summary.feeds_failed
        summary.failed_feeds = [f"{o.name}: {o.error}" for o in outcomes if o.status == "error"]
        summary.entries_seen = len(entries)
        fresh = select_new(con, entries)
        summary.new_entries = len(fresh)
        logger.info("entries: %d seen, %d new", len(entries), len(fresh))
        if len(fresh) >= POOL_MIN_PAGES and (os.cpu_count() or 1) > 1:
            pool = extraction_pool(min(os.cpu_count() or 1, 4))
        found: set[str] = set()
        for batch in _chunks(fresh, BATCH_SIZE):
            pages = fetch_pages(settings, batch)
            articles, mentions, stored, failed = extract_and_store(con, batch, pages, pool, run_id)
            summary.pages_fetched += sum(p.ok for p in pages)
            summary.pages_failed += failed
            summary.articles_stored += stored
            summary.duplicates += sum(a.duplicate_of is not None for a in articles)
            found.update(m.country_code for m in mentions)
            logger.info(
                "batch: %d pages, %d stored, %d duplicates, %d failed",
                len(pages),
                stored,
                sum(a.duplicate_of is not None for a in articles),
                failed,
            )
        summary.countries_found = len(found)
        new = con.execute(
            "SELECT country_code FROM alerts WHERE run_id = ? ORDER BY 1", [run_id]
        ).fetchall()
        summary.new_countries = [r[0] for r in new]
        summary.alerts_raised = len(new)
        deliver_alerts(settings, con, run_id)
        summary.seconds = round(time.monotonic() - started, 2)
        store.finish_run(con, run_id, datetime.now(UTC), "completed", summary.counts())
        con.execute("CHECKPOINT")
        return summary
    except BaseException as exc:
        store.finish_run(
            con,
            run_id,
            datetime.now(UTC),
            "failed",
            summary.counts(),
            f"{exc.__class__.__name__}: {exc}",
        )
        raise
    finally:
        if pool is not None:
            pool.shutdown()
        con.close()
