"""Backfill: article URLs found outside feeds go through the nightly stages (fetch, extract,
dedupe, countries, store, alerts) with the same limits, lock and run record."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.batches import store_entries
from flows.tasks import as_is, engine_logs, finish_run, select_new
from ingest.fetch import FetchLimits
from ingest.models import RunSummary
from ingest.session import FetchSession, fetch_all_sync
from ingest.settings import Settings
from ingest.sitemaps import parse_sitemap
from ingest.url_lists import entries_for
from pipeline.run import Run, backfill_index, one_run, pending_seeds

# A sitemap index may point at more sitemaps; two levels cover news sites' usual layout
# (index → daily sitemaps) without letting a hostile index fan out forever.
MAX_SITEMAP_DEPTH = 2
MAX_SITEMAPS = 200


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def crawl_sitemap(settings: Settings, url: str) -> tuple[list[str], list[str]]:
    """Page URLs of a sitemap (following an index), and one line per sitemap that failed."""
    limits = FetchLimits.for_feeds(settings)
    pages: list[str] = []
    problems: list[str] = []
    level, seen = [url], {url}
    for _depth in range(MAX_SITEMAP_DEPTH + 1):
        children: list[str] = []
        for result in fetch_all_sync(settings, level, limits):
            if not result.ok:
                problems.append(f"{result.url}: {result.error}")
                continue
            try:
                found = parse_sitemap(result.content, limits.max_bytes)
            except ValueError as exc:
                problems.append(f"{result.url}: {exc}")
                continue
            pages += [u.url for u in found.urls]
            children += [c for c in found.children if c not in seen]
            seen.update(found.children)
        level = children[: max(0, MAX_SITEMAPS - len(seen))]
        if not level:
            break
    return pages, problems


@flow(name="newsdesk-ingest-urls", log_prints=False, timeout_seconds=4 * 3600)
def ingest_urls(
    urls: list[str] | None = None,
    sitemap: str | None = None,
    source: str = "urls",
    db_path: str | None = None,
    seeds_dir: str | None = None,
    allow_hosts: list[str] | None = None,
) -> RunSummary:
    """Store the articles behind a list of URLs, or behind a sitemap's URLs."""
    engine_logs()
    settings = Settings.from_parameters(None, db_path, seeds_dir, allow_hosts)
    logger = get_run_logger()
    with one_run(settings) as run, FetchSession(settings) as session:
        found_urls = list(urls or [])
        if sitemap:
            pages, problems = crawl_sitemap(settings, sitemap)
            for problem in problems:
                logger.warning("sitemap %s", problem)
            found_urls += pages
            source = sitemap
        return _ingest(settings, found_urls, source, run, session)


def _ingest(
    settings: Settings, urls: Sequence[str], source: str, run: Run, session: FetchSession
) -> RunSummary:
    logger = get_run_logger()
    con, run_id, tally = run.con, run.run_id, run.tally
    summary = tally.summary
    backfill_index(con)
    seeds = pending_seeds(con, settings.seeds_dir)
    entries = entries_for(list(urls), source)
    fresh, _updated = select_new(con, as_is(entries))
    summary.entries_seen, summary.new_entries = len(entries), len(fresh)
    logger.info("urls: %d given, %d not stored yet", len(entries), len(fresh))
    store_entries(con, settings, fresh, run_id, tally, seeds, session)
    finish_run(con, settings, run_id, tally)
    return summary
