"""Gap fill: the entries a rolled-over feed scrolled past, taken from its site's news sitemap.

For each feed whose window rolled over (``ingest.coverage``), the sitemaps to read are the
feed's own (``sitemap`` in the feed list) or those its host names in robots.txt, news
sitemaps first; an index is followed two levels down, its news sitemaps first. Everything is
fetched through the run's limits (body caps, SSRF guard, timeouts), each document once a run.
The URLs published in the gap become entries of the feed and go through the same dedupe, queue
and stages as any entry; ``count_recovered`` says how many were new.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import urlsplit

from ingest.fetch import FetchLimits
from ingest.models import FeedEntry, FeedOutcome, FeedSpec, FeedState, FetchResult
from ingest.session import fetch_all_sync
from ingest.settings import Settings
from ingest.sitemaps import (
    SOURCE,
    SitemapUrl,
    gap_entries,
    news_first,
    parse_sitemap,
    robots_sitemaps,
    section_of,
)

log = logging.getLogger(__name__)

MAX_DEPTH = 2  # index → sitemaps → (an index of indexes) sitemaps
MAX_ROOTS = 3  # of a host's robots.txt sitemaps, the first (news first)
MAX_CHILDREN = 10  # of an index's sitemaps, the first (news first)


def _fetch(settings: Settings, urls: Sequence[str]) -> dict[str, FetchResult]:
    if not urls:
        return {}
    results = fetch_all_sync(settings, list(urls), FetchLimits.for_feeds(settings))
    return {url: result for url, result in zip(urls, results, strict=True)}


def _host_root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _roots(
    settings: Settings, rolled: Sequence[tuple[FeedSpec, list[FeedEntry]]]
) -> dict[str, list[str]]:
    """feed URL → the sitemaps to read for it: its own, or its host's from robots.txt."""
    hosts = {
        spec.url: _host_root(listed[0].url if listed else spec.url)
        for spec, listed in rolled
        if not spec.sitemap
    }
    robots = _fetch(settings, sorted({f"{h}/robots.txt" for h in hosts.values()}))
    named: dict[str, list[str]] = {}
    for url, result in robots.items():
        text = result.content.decode("utf-8", "replace") if result.ok else ""
        named[url.removesuffix("/robots.txt")] = robots_sitemaps(text)[:MAX_ROOTS]
    return {
        spec.url: [spec.sitemap] if spec.sitemap else named.get(hosts[spec.url], [])
        for spec, _listed in rolled
    }


def crawl(settings: Settings, roots: Sequence[str]) -> dict[str, list[SitemapUrl]]:
    """root sitemap → the URLs it lists, through its index (levels fetched together)."""
    found: dict[str, list[SitemapUrl]] = {root: [] for root in roots}
    level = [(root, root) for root in dict.fromkeys(roots)]
    seen = {url for url, _ in level}
    for _depth in range(MAX_DEPTH + 1):
        fetched = _fetch(settings, [url for url, _ in level])
        children: list[tuple[str, str]] = []
        for url, root in level:
            result = fetched[url]
            try:
                if not result.ok:
                    raise ValueError(result.error or f"HTTP {result.status}")
                sitemap = parse_sitemap(result.content, settings.max_feed_bytes)
            except ValueError as exc:
                log.warning("sitemap %s: %s", url, exc)
                continue
            found[root] += sitemap.urls
            fresh = [c for c in news_first(sitemap.children) if c not in seen][:MAX_CHILDREN]
            seen.update(fresh)
            children += [(child, root) for child in fresh]
        level = children
        if not level:
            break
    return found


def fill_gaps(
    settings: Settings,
    specs: Sequence[FeedSpec],
    outcomes: Sequence[FeedOutcome],
    entries: Sequence[FeedEntry],
    states: Mapping[str, FeedState],
    now: datetime,
) -> list[FeedEntry]:
    """Entries of the gaps of the feeds that rolled over, from their news sitemaps."""
    listed: dict[str, list[FeedEntry]] = {}
    for entry in entries:
        listed.setdefault(entry.feed_url, []).append(entry)
    rolled = [
        (spec, listed.get(spec.url, []))
        for spec, outcome in zip(specs, outcomes, strict=True)
        if outcome.overflowed
    ]
    if not rolled:
        return []
    roots = _roots(settings, rolled)
    found = crawl(settings, sorted({r for rs in roots.values() for r in rs}))
    recovered: list[FeedEntry] = []
    for spec, feed_entries in rolled:
        state = states.get(spec.url)
        if state is None or state.last_success_at is None:
            continue
        dates = [d for e in feed_entries if (d := e.published_at or e.updated_at)]
        gap = gap_entries(
            spec.url,
            (u for root in roots[spec.url] for u in found.get(root, [])),
            feed_entries,
            since=state.last_success_at,
            until=min(dates) if len(dates) == len(feed_entries) and dates else now,
            section=spec.sitemap_filter or section_of(feed_entries),
        )
        if not roots[spec.url]:
            log.info("feed %s rolled over; its site names no sitemap to fill the gap", spec.name)
        else:
            log.info("feed %s: %d entries of the gap in its news sitemap", spec.name, len(gap))
        recovered += gap
    return recovered


def count_recovered(
    outcomes: Sequence[FeedOutcome], fresh: Sequence[FeedEntry]
) -> list[FeedOutcome]:
    """Each outcome with the number of its new entries that came from a sitemap."""
    counts: dict[str, int] = {}
    for entry in fresh:
        if entry.raw.get("source") == SOURCE:
            counts[entry.feed_url] = counts.get(entry.feed_url, 0) + 1
    return [
        o.model_copy(update={"recovered": counts[o.feed_url]}) if o.feed_url in counts else o
        for o in outcomes
    ]
