"""The nightly flow: feeds → new entries → pages → text → duplicates → countries → store → alerts.

This module only wires ``ingest`` and ``warehouse`` into Prefect tasks, one per stage and per
batch (never one per article); the logic lives in plain functions.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from flows import progress
from ingest import alerts as alerting
from ingest.archive import ArchivedPage, pack, unpack
from ingest.articles import build_article, is_update, tag_countries
from ingest.dedupe import (
    INDEX_VERSION,
    Fingerprint,
    fingerprint,
    mark_duplicates,
    mark_near_duplicates,
    shingle_set,
)
from ingest.extract import (
    analyze_later,
    extract_later,
    extract_many,
    extraction_pool,
    pool_workers,
    start_forkserver,
)
from ingest.faults import crash_point
from ingest.feedlist import load_feed_list
from ingest.feeds import read_feed
from ingest.fetch import FetchLimits, FetchSession, fetch_all_sync
from ingest.health import apply_outcome, plan_fetch
from ingest.models import (
    Article,
    CountryCount,
    ExtractedPage,
    FeedEntry,
    FeedOutcome,
    FeedSpec,
    FeedState,
    FetchResult,
    RunSummary,
    TextAnalysis,
)
from ingest.seeds import load_seeds
from ingest.settings import Settings
from warehouse import snapshot, store
from warehouse.db import connect
from warehouse.lock import run_lock
from warehouse.search import update_fts_index

# Large task arguments (entries, pages, extraction results) are passed in ``quote``: Prefect
# would otherwise walk every element of them looking for futures, about 1 s of CPU per run of
# 300 pages, taken from extraction on two cores.

# Pages are fetched, extracted and stored in batches: memory stays bounded and a crash loses at
# most one batch of work, while the per-batch overhead stays small next to the extraction.
BATCH_SIZE = 200
# Below this many new pages a process pool costs more to start than it saves.
POOL_MIN_PAGES = 24
POOL_SWITCH_INTERVAL = 0.0005  # seconds, while extraction workers are fed (store_entries)
# Originals stored between two updates of the BM25 index during a run: each update costs about
# 40 ms besides its articles, and the run's end has to index whatever is left.
INDEX_EVERY = 400


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# Batches ramp up from HEAD_RAMP[0] pages and back down to TAIL_RAMP[0]: extraction starts as soon
# as a few pages are fetched, and little storing is left once the last extraction ends. Full
# batches in between keep the per-batch cost (two Prefect task runs, one transaction) small next
# to the work. The last batch is not the smallest: its extraction covers the storing and search
# indexing of the batch before it.
HEAD_RAMP = (10, 25, 50, 100)
TAIL_RAMP = (25, 50, 100)


def batch_sizes(total: int) -> list[int]:
    """Sizes of the batches ``total`` new pages are split into, small at both ends."""
    head: list[int] = []
    tail: list[int] = []
    left = total
    for k in range(max(len(HEAD_RAMP), len(TAIL_RAMP))):
        for side, ramp in ((head, HEAD_RAMP), (tail, TAIL_RAMP)):
            if k < len(ramp) and left:
                take = min(ramp[k], left)
                if left - take < HEAD_RAMP[0]:
                    take = left  # no sliver of a batch (two task runs for a page or two)
                side.append(take)
                left -= take
    pieces = -(-left // BATCH_SIZE)
    middle = [left // pieces + (i < left % pieces) for i in range(pieces)]
    return head + middle + tail[::-1]


class BatchPlan:
    """The entries still to fetch, taken a batch at a time: sizes from ``batch_sizes``, and
    never more pages than ``byte_budget`` holds at the average size of the pages fetched so
    far. Batches of 200 pages of 10 MB held 2 GB each, three batches in flight."""

    def __init__(self, entries: Sequence[FeedEntry], byte_budget: int) -> None:
        self._left = deque(entries)
        self._sizes = iter(batch_sizes(len(entries)))
        self._budget = byte_budget
        self._pages = 0
        self._bytes = 0

    def __bool__(self) -> bool:
        return bool(self._left)

    def take(self) -> list[FeedEntry]:
        """The next batch (empty when none is left)."""
        size = next(self._sizes, BATCH_SIZE)
        if self._bytes:
            size = min(size, max(1, self._budget * self._pages // self._bytes))
        return [self._left.popleft() for _ in range(min(size, len(self._left)))]

    def put_back(self, entries: Sequence[FeedEntry]) -> None:
        """Entries a batch gave back unfetched (it reached the byte budget): first in line."""
        self._left.extendleft(reversed(entries))

    def fetched(self, pages: Sequence[FetchResult]) -> None:
        """Pages that arrived: their sizes set the next batches'."""
        self._pages += len(pages)
        self._bytes += sum(len(p.content) for p in pages)


@dataclass(frozen=True)
class AlertRules:
    """What the alert stage needs from the settings, resolved once per run."""

    policy: alerting.AlertPolicy = field(default_factory=alerting.AlertPolicy)
    channels: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertRules:
        return cls(
            alerting.AlertPolicy(settings.alert_window_days, settings.alert_min_mentions),
            tuple((alerting.channel_id(u), alerting.channel_label(u)) for u in settings.alert_urls),
        )

    def since(self, now: datetime) -> datetime | None:
        days = self.policy.window_days
        return now - timedelta(days=days) if days else None


@dataclass
class BatchResult:
    """What a stored batch adds to the run's counts. Counts, not the articles: Prefect keeps
    every task's return value until its flow run ends."""

    stored: int = 0
    failed: int = 0
    duplicates: int = 0
    countries: frozenset[str] = frozenset()


def release(pages: list[Any]) -> None:
    """Let go of a stored batch's page bodies. The list came back from a Prefect task, and
    Prefect holds every task's return value in the flow run's transaction until the run ends:
    60 pages of 9.5 MB kept 570 MB alive to the last. Emptied in place, the list it holds no
    longer keeps them."""
    pages.clear()


def _page_log(
    run_id: str,
    entry: FeedEntry,
    page: FetchResult,
    now: datetime,
    stage: str = "fetch",
    error: str | None = None,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "url": entry.url,
        "feed_url": entry.feed_url,
        "kind": "page",
        "stage": stage,
        "status": page.status,
        "error": error or page.error,
        "bytes": len(page.content),
        "elapsed_ms": page.elapsed_ms,
        "attempts": page.attempts,
        "attempt_log": ", ".join(page.attempt_log),
        "logged_at": now,
    }


def _process(
    con: duckdb.DuckDBPyConnection,
    pairs: Sequence[tuple[FeedEntry, FetchResult, datetime, str]],
    pool: Executor | None,
    run_id: str,
    archive: bool,
    replace: bool = False,
    rules: AlertRules | None = None,
    extracted: Sequence[ExtractedPage | str] | None = None,
) -> BatchResult:
    """Extract fetched pages (unless ``extracted`` is given), mark duplicates, tag countries, raise
    alerts, store."""
    logger = get_run_logger()
    now = datetime.now(UTC)
    if extracted is None:
        extracted = extract_many([p for _, p, _, _ in pairs], pool)
    crash_point("extracted")
    log_rows: list[dict[str, Any]] = []
    candidates: list[Article] = []
    kept: list[ArchivedPage] = []
    analysed: dict[str, TextAnalysis] = {}
    for (entry, page, fetched_at, origin_run), result in zip(pairs, extracted, strict=True):
        if archive:
            kept.append(pack(entry, page, fetched_at, origin_run))
        if isinstance(result, str):
            logger.warning("page %s: %s", entry.url, result)
            log_rows.append(_page_log(run_id, entry, page, now, "extract", result))
            continue
        article = build_article(entry, result, fetched_at, origin_run)
        candidates.append(article)
        if result.analysis is not None:
            analysed[article.article_id] = result.analysis
    prints, counts = _split(analysed)
    articles, index = find_duplicates(con, candidates, prints)
    mentions = tag_countries(articles, counts)
    rules = rules or AlertRules()
    raised = alerting.new_country_alerts(
        mentions,
        store.known_countries(con, rules.since(now)),
        run_id,
        now,
        {a.article_id: a for a in articles},
        rules.policy,
    )
    if replace:
        stored = store.replace_articles(con, articles, mentions, raised, index, rules.channels)
    else:
        stored = store.store_batch(con, articles, mentions, raised, kept, index, rules.channels)
    store.log_fetches(con, log_rows)
    return BatchResult(
        stored,
        len(log_rows),
        sum(a.duplicate_of is not None for a in articles),
        frozenset(m.country_code for m in mentions),
    )


def _split(
    analysed: Mapping[str, TextAnalysis],
) -> tuple[dict[str, Fingerprint], dict[str, tuple[CountryCount, ...]]]:
    """Worker analyses by article id, as ``find_duplicates`` and ``tag_countries`` take them."""
    prints = {k: Fingerprint(a.band_keys, a.shingles) for k, a in analysed.items() if a.band_keys}
    return prints, {k: a.countries for k, a in analysed.items()}


def find_duplicates(
    con: duckdb.DuckDBPyConnection,
    articles: Sequence[Article],
    known: Mapping[str, Fingerprint] | None = None,
) -> tuple[list[Article], list[tuple[str, tuple[int, ...]]]]:
    """Exact, then near duplicates against everything stored and earlier articles of the batch.

    Returns the articles (duplicates marked) and the index entries of the originals.
    """
    marked = mark_duplicates(
        articles, store.originals_by_hash(con, [a.content_hash for a in articles])
    )
    known = known or {}
    prints = {
        a.article_id: known.get(a.article_id) or fingerprint(a.text)
        for a in marked
        if a.duplicate_of is None
    }
    candidates = store.near_candidates(con, {k: fp.band_keys for k, fp in prints.items()})
    stored = store.texts_and_originals(con, {c for cs in candidates.values() for c in cs})
    marked = mark_near_duplicates(
        marked,
        prints,
        candidates,
        {cid: frozenset(shingle_set(text)) for cid, (text, _) in stored.items()},
        {cid: original for cid, (_, original) in stored.items()},
    )
    index = [
        (a.article_id, prints[a.article_id].band_keys)
        for a in marked
        if a.duplicate_of is None and a.article_id in prints
    ]
    return marked, index


def backfill_index(con: duckdb.DuckDBPyConnection, rebuild: bool = False) -> int:
    """Index originals the near-duplicate index lacks (all of them with ``rebuild``).

    Runs at the start of every flow, so a warehouse from an older version, or one whose index
    scheme changed, is indexed without a separate step.
    """
    if rebuild:
        con.execute("DELETE FROM dedupe_index")
        con.execute("DELETE FROM dedupe_docs")
    else:
        con.execute(
            "DELETE FROM dedupe_index WHERE article_seq IN (SELECT article_seq FROM dedupe_docs"
            " WHERE index_version <> ?)",
            [INDEX_VERSION],
        )
        con.execute("DELETE FROM dedupe_docs WHERE index_version <> ?", [INDEX_VERSION])
    done = 0
    while True:
        rows = con.execute(
            "SELECT article_id, text FROM articles a WHERE duplicate_of IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM dedupe_docs d WHERE d.article_id = a.article_id) LIMIT ?",
            [BATCH_SIZE * 5],
        ).fetchall()
        if not rows:
            return done
        con.execute("BEGIN")
        store.index_fingerprints(
            con, [(aid, fingerprint(text).band_keys) for aid, text in rows], INDEX_VERSION
        )
        con.execute("COMMIT")
        done += len(rows)


def pending_seeds(con: duckdb.DuckDBPyConnection, seeds_dir: Path) -> list[Article]:
    """The seeds not stored yet (a stored seed is left as it is)."""
    seeds = load_seeds(seeds_dir)
    stored = store.stored_urls(con, [s.canonical_url for s in seeds])
    return [s for s in seeds if s.canonical_url not in stored]


@task(cache_policy=NO_CACHE)
def store_seeds(
    con: duckdb.DuckDBPyConnection,
    seeds: Sequence[Article],
    analyses: Sequence[TextAnalysis] | None = None,
) -> int:
    """Store seeds with their countries: the baseline that never alerts. ``analyses`` (in the
    order of ``seeds``) come from a pool worker when the flow has a pool; without them the
    text is analysed here."""
    prints, counts = _split(dict(zip((s.article_id for s in seeds), analyses or (), strict=False)))
    fresh, index = find_duplicates(con, seeds, prints)
    return store.store_batch(con, fresh, tag_countries(fresh, counts), [], index=index)


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def fetch_feeds(
    settings: Settings, specs: Sequence[FeedSpec], states: dict[str, FeedState], now: datetime
) -> list[FetchResult | str]:
    """Fetch the feeds that are due; a feed backing off gets the reason instead of a result.

    With a client of their own: the pages' session would keep the feeds' connections idle, and
    httpcore checks every idle connection at each request (a third of its CPU on the e2e
    benchmark)."""
    plans = {s.url: plan_fetch(states.get(s.url), now, settings.force_refetch_after) for s in specs}
    due = [s.url for s in specs if plans[s.url].fetch]
    progress.advance("feeds", len(specs) - len(due))  # backing off: nothing to wait for
    fetched = iter(
        fetch_all_sync(
            settings,
            due,
            FetchLimits.for_feeds(settings),
            {u: plans[u].headers for u in due},
            on_done=lambda _result: progress.advance("feeds", 1),
        )
    )
    return [next(fetched) if plans[s.url].fetch else plans[s.url].reason for s in specs]


@task(cache_policy=NO_CACHE)
def read_feeds(
    settings: Settings,
    specs: Sequence[FeedSpec],
    results: Sequence[FetchResult | str],
    states: dict[str, FeedState],
) -> tuple[list[FeedOutcome], list[FeedEntry]]:
    """Parse what changed; one log line per feed."""
    logger = get_run_logger()
    outcomes, entries = [], []
    for spec, result in zip(specs, results, strict=True):
        if isinstance(result, str):
            outcome = FeedOutcome(feed_url=spec.url, name=spec.name, status="skipped", error=result)
            parsed = None
        else:
            previous = states.get(spec.url)
            outcome, parsed = read_feed(
                spec.url,
                spec.name,
                result,
                settings.max_entries_per_feed,
                previous.body_hash if previous else None,
            )
        outcomes.append(outcome)
        if parsed is not None and not outcome.failed:
            entries.extend(parsed.entries)
        if outcome.failed or outcome.status == "skipped":
            logger.warning(
                "feed %s: %s: %s (%d ms)",
                spec.name,
                outcome.status,
                outcome.error,
                outcome.elapsed_ms,
            )
        else:
            logger.info(
                "feed %s: %s, %d entries (%d ms)",
                spec.name,
                outcome.status,
                outcome.entries_seen,
                outcome.elapsed_ms,
            )
        if parsed is not None and parsed.skipped:
            logger.warning(
                "feed %s: %d entries not kept: %s",
                spec.name,
                parsed.dropped,
                "; ".join(parsed.skipped[:3]) + ("; ..." if len(parsed.skipped) > 3 else ""),
            )
    return outcomes, entries


@task(cache_policy=NO_CACHE)
def select_new(
    con: duckdb.DuckDBPyConnection, entries: Sequence[FeedEntry]
) -> tuple[list[FeedEntry], list[FeedEntry]]:
    """One entry per canonical URL: URLs not stored yet, and stored ones the feed updated."""
    unique: dict[str, FeedEntry] = {}
    for entry in entries:
        unique.setdefault(entry.canonical_url, entry)
    stored = store.stored_entry_dates(con, unique)
    fresh = [e for url, e in unique.items() if url not in stored]
    updated = [e for url, e in unique.items() if url in stored and is_update(e, *stored[url])]
    return fresh, updated


@task(cache_policy=NO_CACHE)
def revise(
    con: duckdb.DuckDBPyConnection,
    entries: Sequence[FeedEntry],
    pages: Sequence[FetchResult],
    run_id: str,
) -> int:
    """Updated entries: keep the stored article, record its new text as a revision."""
    now = datetime.now(UTC)
    pairs = [(e, p) for e, p in zip(entries, pages, strict=True) if p.ok]
    articles = []
    for (entry, _page), result in zip(pairs, extract_many([p for _, p in pairs]), strict=True):
        if not isinstance(result, str):
            art = build_article(entry, result, now, run_id)
            articles.append(art)
    originals = [a for a in articles if store.is_original(con, a.article_id)]
    prints = {a.article_id: fingerprint(a.text).band_keys for a in originals}
    return store.store_revisions(con, articles, tag_countries(originals), list(prints.items()), now)


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
    futures = [extract_pages.submit(chunk) for chunk in _chunks(pages, size)]
    return lambda: [result for future in futures for result in future.result()]


@task(cache_policy=NO_CACHE)
def extract_and_store(
    con: duckdb.DuckDBPyConnection,
    entries: Sequence[FeedEntry],
    pages: Sequence[FetchResult],
    extracted: Sequence[ExtractedPage | str],
    run_id: str,
    rules: AlertRules,
) -> BatchResult:
    """Record every page attempt, then dedupe, tag and store the fetched pages, whose
    extraction results (from the pool or the cluster) are ``extracted``, in order."""
    logger = get_run_logger()
    now = datetime.now(UTC)
    failures = []
    for entry, page in zip(entries, pages, strict=True):
        if page.error:
            logger.warning("page %s: %s", entry.url, page.error)
        failures.append(_page_log(run_id, entry, page, now))
    store.log_fetches(con, failures)
    pairs = [(e, p, now, run_id) for e, p in zip(entries, pages, strict=True) if p.ok]
    result = _process(con, pairs, None, run_id, archive=True, rules=rules, extracted=extracted)
    result.failed += sum(1 for p in pages if not p.ok)
    return result


@task(cache_policy=NO_CACHE)
def deliver_alerts(settings: Settings, con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """One digest per channel of every alert not delivered there yet; failures wait for the
    next run, and are returned ("channel: error") for the run's summary. The run's digest is
    also published as a Prefect markdown artifact."""
    logger = get_run_logger()
    now = datetime.now(UTC)
    urls = {alerting.channel_id(u): u for u in settings.alert_urls}
    failed: list[str] = []
    for cid, pending in store.pending_deliveries(con, list(urls)).items():
        ids = [a.alert_id for a in pending]
        key = alerting.digest_id(ids)
        dialect = alerting.dialect_for(urls[cid])
        body = alerting.render_digest(_digest(con, pending), run_id, key, dialect)
        title = f"newsdesk: {len(pending)} new countries in the news"
        error = alerting.deliver(urls[cid], title, body, key)
        crash_point("sent")
        store.record_delivery(con, cid, ids, key, now, error)
        label = alerting.channel_label(urls[cid])
        if error:
            logger.warning("alert digest to %s failed, retried next run: %s", label, error)
            failed.append(f"{label}: {error}")
        else:
            logger.info("alert digest %s sent to %s (%d countries)", key, label, len(pending))
    unrouted = store.undelivered_alerts(con, without_channels=True)
    if unrouted:
        store.mark_delivered(con, [a.alert_id for a in unrouted], now, None)
    raised = [a for a in store.run_alerts(con, run_id)]
    if raised:
        body = alerting.render_digest(_digest(con, raised), run_id)
        create_markdown_artifact(
            key="new-countries", markdown=body, description=f"New countries, run {run_id}"
        )
        logger.info(
            "new countries: %s", ", ".join(f"{a.country_name} ({a.country_code})" for a in raised)
        )
    return failed


def _digest(con: duckdb.DuckDBPyConnection, alerts: Sequence[Any]) -> list[Any]:
    """Each alert's country with the originals of its run that mention it."""
    mentions = store.mentions_for(con, [a.country_code for a in alerts])
    runs = {a.run_id for a in alerts}
    articles = {
        k: v
        for k, v in store.articles_by_id(con, [m.article_id for m in mentions]).items()
        if v.run_id in runs and v.duplicate_of is None
    }
    return alerting.build_digest(alerts, mentions, articles)


def publish_summary(summary: RunSummary, outcomes: Sequence[FeedOutcome]) -> None:
    """The run's summary and per-feed outcome as a Prefect artifact (shown in the UI)."""
    counts = "\n".join(f"| {k.replace('_', ' ')} | {v} |" for k, v in summary.counts().items())
    feeds = "\n".join(
        f"| {o.name} | {o.status} | {o.http_status or ''} | {o.entries_seen} | "
        f"{(o.error or '').replace('|', '/')[:120]} |"
        for o in outcomes
    )
    create_markdown_artifact(
        key="nightly-summary",
        markdown=f"# newsdesk run {summary.run_id}\n\n| stage | count |\n|---|---|\n{counts}\n\n"
        f"| feed | status | HTTP | entries | error |\n|---|---|---|---|---|\n{feeds}\n",
        description=f"newsdesk run {summary.run_id}",
    )


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


def flow_for(settings: Settings) -> Any:
    """The nightly flow on the task runner the settings ask for: in-process threads and an
    extraction process pool by default, prefect-dask's DaskTaskRunner on the cluster at
    ``NEWSDESK_DASK_ADDRESS`` (page fetching and extraction then run on its workers; the
    warehouse stays with the flow, its single writer)."""
    if not settings.dask_address:
        return nightly
    from prefect_dask import DaskTaskRunner

    return nightly.with_options(task_runner=DaskTaskRunner(address=settings.dask_address))


@functools.cache
def freeze_startup_heap() -> None:
    """Move what the process holds before its first run (Prefect's client and engine, pydantic
    models, the modules: 320,000 objects in the benchmark's flow process) out of the garbage
    collector's reach, once.

    The run's own objects soon trigger a full collection, which walked all of them holding the
    GIL: 0.37 s on two busy cores at the start of the end-to-end benchmark, page fetching and
    the feeding of the extraction workers stopped meanwhile. What is alive at start-up lives as
    long as the process anyway; later collections walk the run's objects only."""
    gc.freeze()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


def trim_heap() -> None:
    """Hand the heap memory freed by a stored batch back to the OS. glibc keeps freed pages
    mapped, and each batch frees tens of MB of page bodies allocated by another thread: the
    flow process peaked at 1,010 MB for 5,000 pages without this, 907 MB with it."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _pool_for(pages: int, configured: int = 0) -> Executor | None:
    workers = pool_workers(configured)
    return extraction_pool(workers) if pages >= POOL_MIN_PAGES and workers > 1 else None


@flow(name="newsdesk-nightly", log_prints=False, timeout_seconds=4 * 3600)
def nightly(
    feeds_file: str | None = None,
    db_path: str | None = None,
    seeds_dir: str | None = None,
    allow_hosts: list[str] | None = None,
) -> RunSummary:
    """One nightly run. Parameters override the ``NEWSDESK_*`` settings."""
    freeze_startup_heap()
    settings = _settings(feeds_file, db_path, seeds_dir, allow_hosts)
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
    started = time.monotonic()
    if not settings.dask_address:
        start_forkserver(settings.extract_workers)  # workers' code loads while feeds are read
    con = connect(settings.db)
    summary = RunSummary(run_id=run_id, feeds_total=len(specs))
    rules = AlertRules.from_settings(settings)
    store.start_run(con, run_id, now)
    session = FetchSession(settings)
    try:
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

        summary.feeds_failed = sum(o.failed for o in outcomes)
        summary.feeds_skipped = sum(o.status == "skipped" for o in outcomes)
        summary.feeds_ok = len(outcomes) - summary.feeds_failed - summary.feeds_skipped
        summary.failed_feeds = [
            f"{o.name}: {o.error}" for o in outcomes if o.failed or o.status == "skipped"
        ]
        summary.entries_seen = len(entries)
        summary.new_entries = len(fresh)
        logger.info("entries: %d seen, %d new", len(entries), len(fresh))
        recorded = functools.partial(
            record_feeds, con, settings, run_id, now, results, outcomes, states, fresh
        )
        found = store_entries(
            con, settings, fresh, run_id, rules, summary, seeds, session, recorded
        )
        if updated:
            pages = fetch_pages(settings, quote(updated), quote(session))
            summary.revisions = revise(con, quote(updated), quote(pages), run_id)
            release(pages)
            logger.info(
                "updated entries: %d refetched, %d with new text", len(updated), summary.revisions
            )
        store.dequeue(con, [e.canonical_url for e in (*carried, *fresh)])
        crash_point("stored")
        finish(con, settings, run_id, summary, started, found)
        publish_summary(summary, outcomes)
        return summary
    except BaseException as exc:
        fail(con, settings.db, run_id, summary, exc)
        raise
    finally:
        session.close()
        con.close()


def record_feeds(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str,
    now: datetime,
    results: list[FetchResult | str],
    outcomes: Sequence[FeedOutcome],
    states: Mapping[str, FeedState],
    fresh: Sequence[FeedEntry],
) -> None:
    """Feed states and the entry queue, in the transaction that makes the new entries the next
    run's to finish should this one stop. The flow calls it once the first pages are on their
    way (fetching stores nothing), before any page is stored; the feed bodies are let go
    then (``release``)."""
    store.log_fetches(
        con,
        [
            {
                "run_id": run_id,
                "url": r.url,
                "feed_url": r.url,
                "kind": "feed",
                "stage": "fetch",
                "status": r.status,
                "error": r.error,
                "bytes": len(r.content),
                "elapsed_ms": r.elapsed_ms,
                "attempts": r.attempts,
                "attempt_log": ", ".join(r.attempt_log),
                "logged_at": now,
            }
            for r in results
            if not isinstance(r, str)
        ],
    )
    new_per_feed: dict[str, int] = {}
    for entry in fresh:
        new_per_feed[entry.feed_url] = new_per_feed.get(entry.feed_url, 0) + 1
    store.record_feeds_and_queue(
        con,
        [
            (
                o,
                apply_outcome(states.get(o.feed_url), o, now, settings.failure_backoff_after),
                new_per_feed.get(o.feed_url, 0),
            )
            for o in outcomes
        ],
        fresh,
        datetime.now(UTC),
        run_id,
    )
    release(results)
    crash_point("feeds-recorded")


def store_entries(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    entries: Sequence[FeedEntry],
    run_id: str,
    rules: AlertRules,
    summary: RunSummary,
    seeds: Sequence[Article] = (),
    session: FetchSession | None = None,
    before_storing: Callable[[], None] = lambda: None,
) -> set[str]:
    """Fetch, extract, dedupe, tag and store new entries batch by batch; counts go to
    ``summary``. Returns the countries their originals mention. ``seeds`` not stored yet are
    stored before the first batch, so every entry is checked against them. ``before_storing``
    runs once the first batch is being fetched, before anything is stored."""
    logger = get_run_logger()
    on_cluster = bool(settings.dask_address)
    # prefect-dask hands a quoted argument to the task as it is, so submissions to the cluster
    # go unquoted.
    passed: Callable[[Any], Any] = (lambda value: value) if on_cluster else quote
    pool = None if on_cluster else _pool_for(len(entries), settings.extract_workers)
    found: set[str] = set()
    unindexed = 0
    searchable = True
    plan = BatchPlan(entries, settings.batch_bytes)
    progress.start("pages", len(entries))
    # Three batches are in flight: the next one is fetched (I/O, in a thread) and this one is
    # extracted (CPU, in the pool) while the previous one is deduplicated and stored (in this
    # process). Batches are stored in order, so each is checked against all before it.
    # A Dask worker fetches with a client of its own.
    local = None if on_cluster else quote(session)
    # Locally, a batch is what arrived within the patience: a slow host's pages join a later
    # batch (or the tail below) instead of holding the pages of every other host.
    patience = None if on_cluster else settings.batch_patience
    entry_for = {e.url: e for e in entries}
    budget = settings.batch_bytes

    def next_batch() -> Any:
        return fetch_pages.submit(settings, passed(plan.take()), local, patience, budget)

    upcoming = next_batch() if plan else None
    before_storing()
    analysed = analyze_later([s.text for s in seeds], pool) if seeds else None

    def store_seeds_first() -> None:
        nonlocal analysed
        if analysed is not None:
            logger.info("seeds: %d new", store_seeds(con, quote(seeds), quote(analysed())))
            analysed = None

    def store(
        batch: Sequence[FeedEntry],
        pages: list[FetchResult],
        ready: Callable[[], list[ExtractedPage | str]],
        started: float,
        last_but_one: bool = False,
    ) -> None:
        nonlocal searchable, unindexed
        store_seeds_first()
        result = extract_and_store(con, quote(batch), quote(pages), quote(ready()), run_id, rules)
        unindexed += result.stored
        if searchable and unindexed and (unindexed >= INDEX_EVERY or last_but_one):
            # While the pool extracts the last batch: the run's end (finish) is left with that
            # batch alone to index. A missing extension is reported there, once.
            reason = index_for_search(con, settings)
            if reason:
                logger.info("full-text index: %s (tried again at the end of the run)", reason)
            searchable, unindexed = reason is None, 0
        dups = result.duplicates
        summary.pages_fetched += sum(p.ok for p in pages)
        summary.pages_failed += result.failed
        summary.articles_stored += result.stored
        summary.duplicates += dups
        found.update(result.countries)
        progress.advance("pages", len(batch))
        logger.info(
            "batch: %d pages, %d stored, %d duplicates, %d failed (%.1f s)",
            len(pages),
            result.stored,
            dups,
            result.failed,
            time.monotonic() - started,
        )
        release(pages)
        trim_heap()

    switch_interval = sys.getswitchinterval()
    if pool is not None:
        # The pool's workers have the cores: DuckDB's second thread on small batch writes only
        # takes CPU from extraction (the same writes on one thread: 40 % less CPU).
        con.execute("SET threads = 1")
        # The threads that feed the workers wait for the GIL while the fetching thread runs;
        # at the default 5 ms per hand-over, 13 chunks took 0.1-0.15 s to reach idle workers,
        # 0.03 s at 0.5 ms.
        sys.setswitchinterval(POOL_SWITCH_INTERVAL)

    def arrived() -> Iterator[list[FetchResult]]:
        """Each batch's pages as they arrive, then the slow pages still out, a batch at a
        time."""
        nonlocal upcoming
        while upcoming is not None:
            pages = upcoming.result()
            crash_point("pages-fetched")
            plan.fetched(pages)
            if session is not None:
                plan.put_back([entry_for[u] for u in session.unfetched()])
            upcoming = next_batch() if plan else None
            yield pages
        while session is not None and (late := session.late(BATCH_SIZE)):
            yield late

    try:
        pending = None
        for pages in arrived():
            started = time.monotonic()
            batch = [entry_for[p.url] for p in pages]
            fetched = [p for p in pages if p.ok]
            ready = (
                extract_on_runner(fetched, settings.dask_workers)
                if on_cluster
                else extract_later(fetched, pool)
            )
            if pending is not None:
                store(*pending, last_but_one=upcoming is None)
            pending = (batch, pages, ready, started)
        if pending is not None:
            store(*pending)
        store_seeds_first()
    finally:
        if pool is not None:
            pool.shutdown()
            sys.setswitchinterval(switch_interval)
            with contextlib.suppress(duckdb.Error):  # an invalidated connection: the error
                con.execute("RESET threads")  # that invalidated it is the one to report
    return found


def finish(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str,
    summary: RunSummary,
    started: float,
    found: set[str],
) -> None:
    """Alerts of the run, delivery, and the run's record."""
    summary.countries_found = len(found)
    new = con.execute(
        "SELECT country_code FROM alerts WHERE run_id = ? ORDER BY 1", [run_id]
    ).fetchall()
    summary.new_countries = [r[0] for r in new]
    summary.alerts_raised = len(new)
    with contextlib.ExitStack() as stack:
        indexed = None
        if summary.articles_stored or summary.revisions:
            # On a connection of its own, in DuckDB's threads, while the alerts go out (Python
            # and Prefect's API): the two are the longest steps of the run's end.
            cursor = stack.enter_context(con.cursor())
            pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="newsdesk-fts"))
            indexed = pool.submit(index_for_search, cursor, settings)
        summary.undelivered = deliver_alerts(settings, con, run_id)
        reason = indexed.result() if indexed else None
        if reason:
            get_run_logger().info("full-text index not updated: %s", reason)
    summary.seconds = round(time.monotonic() - started, 2)
    store.finish_run(con, run_id, datetime.now(UTC), "completed", summary.counts())
    con.execute("CHECKPOINT")
    crash_point("finished")
    snapshot.publish(settings.db)


def index_for_search(con: duckdb.DuckDBPyConnection, settings: Settings) -> str | None:
    """Bring the BM25 index up to date with the originals of the search window; why not when
    the extension cannot be loaded."""
    window = timedelta(days=settings.search_days) if settings.search_days else None
    since = datetime.now(UTC) - window if window else None
    return update_fts_index(con, settings.fts_extension or None, since)


def fail(
    con: duckdb.DuckDBPyConnection,
    db: Path,
    run_id: str,
    summary: RunSummary,
    exc: BaseException,
) -> None:
    """Record the failure; when even that cannot be written (a full disk, a database DuckDB
    has invalidated), say so and let the original error through. The next run marks this one
    abandoned."""
    try:
        store.finish_run(
            con,
            run_id,
            datetime.now(UTC),
            "failed",
            summary.counts(),
            f"{exc.__class__.__name__}: {exc}",
        )
    except duckdb.Error as again:
        get_run_logger().warning(
            "could not record the failed run: %s", str(again).splitlines()[0][:200]
        )
        return
    try:
        # Readers see what the failed run committed (its batches and its own record).
        con.execute("CHECKPOINT")
        snapshot.publish(db)
    except (duckdb.Error, OSError) as again:
        get_run_logger().warning(
            "snapshot not updated after the failed run: %s", str(again).splitlines()[0][:200]
        )


@flow(name="newsdesk-reextract", log_prints=False)
def reextract(db_path: str | None = None, since: datetime | None = None) -> RunSummary:
    """Extract, dedupe and tag archived pages again, without fetching anything."""
    settings = _settings(None, db_path, None, None)
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    with run_lock(settings.db, run_id, settings.lock_wait):
        return _reextract(settings, since, now, run_id)


def _reextract(
    settings: Settings, since: datetime | None, now: datetime, run_id: str
) -> RunSummary:
    logger = get_run_logger()
    started = time.monotonic()
    con = connect(settings.db)
    summary = RunSummary(run_id=run_id)
    store.start_run(con, run_id, now)
    pages, raw, stored_bytes = store.archive_stats(con)
    pool = _pool_for(pages, settings.extract_workers)
    try:
        found: set[str] = set()
        for rows in store.archived_pages(con, since, BATCH_SIZE):
            pairs = []
            for row in rows:
                entry, page = unpack(row)
                pairs.append((entry, page, row["fetched_at"], row["run_id"]))
            result = _reextract_batch(
                con, quote(pairs), pool, run_id, AlertRules.from_settings(settings)
            )
            summary.pages_fetched += len(pairs)
            summary.pages_failed += result.failed
            summary.articles_stored += result.stored
            summary.duplicates += result.duplicates
            found.update(result.countries)
        logger.info(
            "archive: %d pages, %.1f KB stored per page (%.1f KB raw)",
            pages,
            stored_bytes / max(pages, 1) / 1024,
            raw / max(pages, 1) / 1024,
        )
        finish(con, settings, run_id, summary, started, found)
        return summary
    except BaseException as exc:
        fail(con, settings.db, run_id, summary, exc)
        raise
    finally:
        if pool is not None:
            pool.shutdown()
        con.close()


@task(cache_policy=NO_CACHE)
def _reextract_batch(
    con: duckdb.DuckDBPyConnection,
    pairs: Sequence[tuple[FeedEntry, FetchResult, datetime, str]],
    pool: Executor | None,
    run_id: str,
    rules: AlertRules,
) -> BatchResult:
    return _process(con, pairs, pool, run_id, archive=False, replace=True, rules=rules)
