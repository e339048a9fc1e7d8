"""Records that cross stage boundaries.

Each stage takes and returns these pydantic models, so a stage can be tested, replaced or run on
another machine (they pickle) without knowing its neighbours. Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class FeedSpec(Record):
    """One line of the feed list."""

    url: str
    name: str
    tags: tuple[str, ...] = ()
    # The site's news sitemap for gap fill (default: found through robots.txt), and the URL
    # path prefix of this feed's section in it (default: inferred from the feed's entries).
    sitemap: str | None = None
    sitemap_filter: str | None = None


class FeedState(Record):
    """What the warehouse remembers about a feed between runs: validators and health."""

    feed_url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    not_modified_streak: int = 0
    consecutive_failures: int = 0
    next_fetch_after: datetime | None = None
    last_success_at: datetime | None = None
    # Canonical URLs of the entries the last parsed fetch listed (to tell a rollover).
    listed: tuple[str, ...] = ()
    # How often the feed is polled between nightly runs (None: only nightly), and why
    # (``ingest.poll_schedule``); the rate its entries' dates showed.
    poll_every: timedelta | None = None
    poll_reason: str | None = None
    entries_per_day: float | None = None


class FetchResult(Record):
    """The outcome of one HTTP fetch; ``error`` is set instead of raising."""

    url: str
    final_url: str
    status: int | None = None
    content: bytes = b""
    headers: dict[str, str] = Field(default_factory=dict)
    error: str | None = None
    elapsed_ms: int = 0
    attempts: int = 1
    attempt_log: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200


class FeedEntry(Record):
    """An entry of a feed, with its link canonicalized and the raw entry kept for reprocessing."""

    feed_url: str
    entry_id: str
    url: str
    canonical_url: str
    title: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    raw: dict[str, Any] = Field(default_factory=dict)


class ParsedFeed(Record):
    feed_url: str
    title: str | None = None
    entries: tuple[FeedEntry, ...] = ()
    bozo_reason: str | None = None
    skipped: tuple[str, ...] = ()
    dropped: int = 0  # entries listed but not kept: unusable links, entries past the cap
    version: str = ""  # feedparser's format name ("rss20", "atom10"); empty when not a feed


# ok: parsed; not_modified: HTTP 304; unchanged: same body as last time, not parsed;
# malformed: parsed with errors, entries kept; error: no entries; skipped: backing off.
FeedStatus = Literal["ok", "not_modified", "unchanged", "malformed", "error", "skipped"]
# A feed with nothing new to read: answered 304, or sent the body it sent last time.
QUIET_STATUSES: frozenset[str] = frozenset({"not_modified", "unchanged"})


class FeedOutcome(Record):
    """Per-feed result of a run: what the operator reads when a feed goes quiet."""

    feed_url: str
    name: str
    status: FeedStatus
    http_status: int | None = None
    error: str | None = None
    entries_seen: int = 0
    entries_dropped: int = 0
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    elapsed_ms: int = 0
    attempt_log: tuple[str, ...] = ()
    # Canonical URLs of the entries this fetch listed, when it was parsed.
    listed: tuple[str, ...] = ()
    # The window rolled over since the last successful fetch (``ingest.coverage``), and an
    # estimate of the entries missed.
    overflowed: bool = False
    missed_estimate: int | None = None
    # The publication rate the entries' dates show (``ingest.poll_schedule``).
    entries_per_day: float | None = None
    # Entries of the gap taken from the site's news sitemap (``ingest.sitemaps``).
    recovered: int = 0

    @property
    def quiet(self) -> bool:
        """Nothing new to read: a 304, or the body of the last fetch."""
        return self.status in QUIET_STATUSES

    @property
    def failed(self) -> bool:
        return self.status == "error"


CountryCount = tuple[str, str, int, int, str]  # code, name, mentions, first offset, snippet


class TextAnalysis(Record):
    """The CPU work on an article's text after extraction, done where the extraction ran (a
    pool worker) so that it runs in parallel too: the exact-duplicate hash, the near-duplicate
    band keys and shingles, the country counts."""

    content_hash: str
    band_keys: tuple[int, ...] = ()
    shingles: frozenset[int] = frozenset()
    countries: tuple[CountryCount, ...] = ()


class ExtractedPage(Record):
    """What trafilatura found in a page, normalized."""

    url: str
    final_url: str
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    site_name: str | None = None
    language: str | None = None
    text: str
    analysis: TextAnalysis | None = None  # filled by ingest.extract.analyze_page


class Article(Record):
    """A row of ``articles``: a seed or a feed article, original or duplicate."""

    article_id: str
    source: Literal["seed", "feed"]
    url: str
    canonical_url: str
    feed_url: str | None = None
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    fetched_at: datetime
    site_name: str | None = None
    language: str | None = None
    text: str
    content_hash: str
    duplicate_of: str | None = None
    run_id: str | None = None
    raw_entry: dict[str, Any] | None = None
    similarity: float | None = None  # to the original, for duplicates
    dup_method: str | None = None  # exact | minhash-jaccard | minhash-containment
    entry_updated_at: datetime | None = None  # the feed's "updated" date when stored
    entry_published_at: datetime | None = None  # the feed's own date (pubDate) when stored
    page_etag: str | None = None  # the page's validators, for a conditional re-check
    page_last_modified: str | None = None


class StoredEntry(Record):
    """What a stored feed article remembers of its entry and page: the dates the feed gave when
    it was stored (to tell a later one), when it was fetched, and the page's validators."""

    updated_at: datetime | None = None
    published_at: datetime | None = None
    fetched_at: datetime
    etag: str | None = None
    last_modified: str | None = None


class CountryMention(Record):
    article_id: str
    country_code: str
    country_name: str
    mentions: int
    first_offset: int
    snippet: str


class Alert(Record):
    alert_id: str
    country_code: str
    country_name: str
    article_id: str
    raised_at: datetime
    run_id: str


class RunSummary(BaseModel):
    """What a run (or a poll: ``kind``) did, as printed by the CLI and stored in ``runs``."""

    run_id: str
    kind: Literal["run", "poll"] = "run"
    status: Literal["completed", "failed"] = "completed"
    feeds_total: int = 0
    feeds_ok: int = 0
    feeds_failed: int = 0
    feeds_skipped: int = 0
    entries_seen: int = 0
    new_entries: int = 0
    pages_fetched: int = 0
    pages_failed: int = 0
    articles_stored: int = 0
    duplicates: int = 0
    countries_found: int = 0
    alerts_raised: int = 0
    revisions: int = 0
    # Coverage (issue 19): feeds whose window rolled over since they were last read, entries
    # taken from news sitemaps for those gaps, and the estimate of those still missed.
    feeds_rolled_over: int = 0
    entries_recovered: int = 0
    entries_missed: int = 0
    new_countries: list[str] = Field(default_factory=list)
    failed_feeds: list[str] = Field(default_factory=list)
    undelivered: list[str] = Field(default_factory=list)  # "channel: error", one per channel
    seconds: float = 0.0
    gave_up: str | None = None  # a poll that found the warehouse busy, and who held it

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in self.model_dump().items() if isinstance(v, int)}
