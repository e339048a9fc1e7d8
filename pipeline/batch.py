"""One batch of a night: fetched pages → articles → duplicates → countries → alerts → stored.

Every function here takes a warehouse connection and runs in one process, with or without
Prefect around it (``flows/nightly.py`` makes tasks of them), so a batch can be tested on a
DuckDB file in a temporary folder.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from ingest import alerts as alerting
from ingest.archive import ArchivedPage, pack
from ingest.articles import article_id_for, build_article, is_update, tag_countries
from ingest.dedupe import (
    Fingerprint,
    fingerprint,
    mark_duplicates,
    mark_near_duplicates,
    shingle_set,
)
from ingest.extract import extract_many
from ingest.faults import crash_point
from ingest.fetch import conditional_headers
from ingest.models import (
    Article,
    CountryCount,
    ExtractedPage,
    FeedEntry,
    FetchResult,
    TextAnalysis,
)
from ingest.settings import Settings
from warehouse import store

log = logging.getLogger(__name__)


def _mid_write() -> None:
    """A batch written and not committed: where the crash tests kill a run mid-write."""
    crash_point("mid-write")


# A fetched page, where it came from, when it was fetched and by which run.
Fetched = tuple[FeedEntry, FetchResult, datetime, str]


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


def release(items: list[Any]) -> None:
    """Let go of a stored batch's page bodies. The list came back from a Prefect task, and
    Prefect holds every task's return value in the flow run's transaction until the run ends:
    60 pages of 9.5 MB kept 570 MB alive to the last. Emptied in place, the list it holds no
    longer keeps them."""
    items.clear()


def fetch_log_row(
    run_id: str,
    result: FetchResult,
    now: datetime,
    feed_url: str | None = None,
    stage: str = "fetch",
    error: str | None = None,
) -> dict[str, Any]:
    """One ``fetch_log`` row: a page of ``feed_url``, or a feed itself (no ``feed_url``)."""
    return {
        "run_id": run_id,
        "url": result.url,
        "feed_url": feed_url or result.url,
        "kind": "page" if feed_url else "feed",
        "stage": stage,
        "status": result.status,
        "error": error or result.error,
        "bytes": len(result.content),
        "elapsed_ms": result.elapsed_ms,
        "attempts": result.attempts,
        "attempt_log": ", ".join(result.attempt_log),
        "logged_at": now,
    }


def split_analyses(
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


def process_batch(
    con: duckdb.DuckDBPyConnection,
    pages: Sequence[Fetched],
    extracted: Sequence[ExtractedPage | str],
    run_id: str,
    rules: AlertRules,
    archive: bool = True,
    replace: bool = False,
) -> BatchResult:
    """Build articles from extracted pages (``extracted``, in the order of ``pages``), mark
    duplicates, tag countries, raise alerts and store them in one transaction; a page that
    yielded no article is its own ``fetch_log`` row. ``replace``: the articles are stored
    again (re-extraction from the archive), not added."""
    now = datetime.now(UTC)
    crash_point("extracted")
    log_rows: list[dict[str, Any]] = []
    candidates: list[Article] = []
    kept: list[ArchivedPage] = []
    analysed: dict[str, TextAnalysis] = {}
    for (entry, page, fetched_at, origin_run), result in zip(pages, extracted, strict=True):
        if archive:
            kept.append(pack(entry, page, fetched_at, origin_run))
        if isinstance(result, str):
            log.warning("page %s: %s", entry.url, result)
            log_rows.append(fetch_log_row(run_id, page, now, entry.feed_url, "extract", result))
            continue
        article = build_article(entry, result, fetched_at, origin_run, page.headers)
        candidates.append(article)
        if result.analysis is not None:
            analysed[article.article_id] = result.analysis
    prints, counts = split_analyses(analysed)
    articles, index = find_duplicates(con, candidates, prints)
    mentions = tag_countries(articles, counts)
    raised = alerting.new_country_alerts(
        mentions,
        store.known_countries(con, rules.since(now)),
        run_id,
        now,
        {a.article_id: a for a in articles},
        rules.policy,
    )
    # Re-extraction archives nothing: the pages it reads are the archive.
    stored = store.store_batch(
        con, articles, mentions, raised, kept, index, rules.channels, replace, _mid_write
    )
    store.log_fetches(con, log_rows)
    return BatchResult(
        stored,
        len(log_rows),
        sum(a.duplicate_of is not None for a in articles),
        frozenset(m.country_code for m in mentions),
    )


def store_fetched(
    con: duckdb.DuckDBPyConnection,
    entries: Sequence[FeedEntry],
    pages: Sequence[FetchResult],
    extracted: Sequence[ExtractedPage | str],
    run_id: str,
    rules: AlertRules,
) -> BatchResult:
    """Record every page attempt, then store the pages that were fetched, whose extraction
    results (from the pool or the cluster) are ``extracted``, in order."""
    now = datetime.now(UTC)
    attempts = []
    for entry, page in zip(entries, pages, strict=True):
        if page.error:
            log.warning("page %s: %s", entry.url, page.error)
        attempts.append(fetch_log_row(run_id, page, now, entry.feed_url))
    store.log_fetches(con, attempts)
    fetched = [(e, p, now, run_id) for e, p in zip(entries, pages, strict=True) if p.ok]
    result = process_batch(con, fetched, extracted, run_id, rules)
    result.failed += sum(1 for p in pages if not p.ok)
    return result


def reprocess(
    con: duckdb.DuckDBPyConnection,
    pages: Sequence[Fetched],
    pool: Executor | None,
    run_id: str,
    rules: AlertRules,
) -> BatchResult:
    """Archived pages extracted (in ``pool`` if any), deduplicated and tagged again, their
    articles replaced."""
    extracted = extract_many([p for _, p, _, _ in pages], pool)
    return process_batch(con, pages, extracted, run_id, rules, archive=False, replace=True)


def store_seeds(
    con: duckdb.DuckDBPyConnection,
    seeds: Sequence[Article],
    analyses: Sequence[TextAnalysis] | None = None,
) -> int:
    """Store seeds with their countries: the baseline that never alerts. ``analyses`` (in the
    order of ``seeds``) come from a pool worker when the run has a pool; without them the
    text is analysed here."""
    by_id = dict(zip((s.article_id for s in seeds), analyses or (), strict=False))
    prints, counts = split_analyses(by_id)
    fresh, index = find_duplicates(con, seeds, prints)
    mentions = tag_countries(fresh, counts)
    return store.store_batch(con, fresh, mentions, [], index=index, before_commit=_mid_write)


def select_new(
    con: duckdb.DuckDBPyConnection, entries: Sequence[FeedEntry]
) -> tuple[list[FeedEntry], list[FeedEntry]]:
    """One entry per canonical URL: URLs not stored yet, and stored ones the feed updated."""
    unique: dict[str, FeedEntry] = {}
    for entry in entries:
        unique.setdefault(entry.canonical_url, entry)
    stored = store.stored_entries(con, unique)
    fresh = [e for url, e in unique.items() if url not in stored]
    updated = [e for url, e in unique.items() if url in stored and is_update(e, stored[url])]
    return fresh, updated


def recheck_headers(
    con: duckdb.DuckDBPyConnection, entries: Sequence[FeedEntry]
) -> dict[str, dict[str, str]]:
    """entry URL → the conditional GET that re-checks its stored page (the page's validators;
    none when the page sent none, and the page is then fetched whole)."""
    stored = store.stored_entries(con, [e.canonical_url for e in entries])
    return {
        e.url: conditional_headers(s.etag, s.last_modified)
        for e in entries
        if (s := stored.get(e.canonical_url))
    }


def revise(
    con: duckdb.DuckDBPyConnection,
    entries: Sequence[FeedEntry],
    pages: Sequence[FetchResult],
    run_id: str,
) -> int:
    """Updated entries, their pages re-checked (``pages``, conditional GETs): keep the stored
    article, record its new text as a revision when the text changed. A page that answered
    304, or whose text is the stored one, only has the entry's dates moved on, so the same
    dates do not have it re-checked next run."""
    now = datetime.now(UTC)
    pairs = [(e, p) for e, p in zip(entries, pages, strict=True) if p.ok]
    unchanged = [e for e, p in zip(entries, pages, strict=True) if p.status == 304]
    store.move_entry_dates(
        con, [(article_id_for(e.canonical_url), e.updated_at, e.published_at) for e in unchanged]
    )
    articles = []
    for (entry, page), result in zip(pairs, extract_many([p for _, p in pairs]), strict=True):
        if not isinstance(result, str):
            articles.append(build_article(entry, result, now, run_id, page.headers))
    kept = store.originals_among(con, [a.article_id for a in articles])
    originals = [a for a in articles if a.article_id in kept]
    prints = {a.article_id: fingerprint(a.text).band_keys for a in originals}
    return store.store_revisions(con, articles, tag_countries(originals), list(prints.items()), now)
