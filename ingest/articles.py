"""Assembling article records from what the stages found, and tagging their countries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from ingest.countries import detect_countries
from ingest.models import (
    Article,
    CountryCount,
    CountryMention,
    ExtractedPage,
    FeedEntry,
    StoredEntry,
)
from ingest.normalize import MAX_NAME_CHARS, MAX_TITLE_CHARS, clean_field, content_hash, short_id

# An ETag or Last-Modified longer than this is no validator worth sending back.
MAX_VALIDATOR_CHARS = 512


def article_id_for(canonical_url: str) -> str:
    """Article ids derive from the canonical URL, so a rerun finds the same id."""
    return short_id(canonical_url)


def _validator(value: str | None) -> str | None:
    """A response validator kept byte for byte to send back, or None when it is absent, too
    long or holds what no header line can carry."""
    if not value or len(value) > MAX_VALIDATOR_CHARS or not value.isprintable():
        return None
    return value


def build_article(
    entry: FeedEntry,
    page: ExtractedPage,
    fetched_at: datetime,
    run_id: str,
    headers: Mapping[str, str] | None = None,
) -> Article:
    """Merge the feed entry (identity, date with time) with the page (text, metadata) and the
    page's validators (``headers``, the response's, for a conditional re-check).

    The feed's date wins because it carries a time of day; the page's date (often a day only)
    fills in when the feed has none. The feed's title wins over the page's <title>, which
    often carries the site's name.
    """
    headers = headers or {}
    return Article(
        article_id=article_id_for(entry.canonical_url),
        source="feed",
        url=entry.url,
        canonical_url=entry.canonical_url,
        feed_url=entry.feed_url,
        title=clean_field(entry.title, MAX_TITLE_CHARS) or clean_field(page.title, MAX_TITLE_CHARS),
        author=clean_field(page.author, MAX_NAME_CHARS),
        published_at=entry.published_at or entry.updated_at or page.published_at,
        fetched_at=fetched_at,
        site_name=clean_field(page.site_name, MAX_NAME_CHARS),
        language=page.language,
        text=page.text,
        content_hash=page.analysis.content_hash if page.analysis else content_hash(page.text),
        run_id=run_id,
        raw_entry=entry.raw,
        entry_updated_at=entry.updated_at,
        entry_published_at=entry.published_at,
        page_etag=_validator(headers.get("etag")),
        page_last_modified=_validator(headers.get("last-modified")),
    )


def tag_countries(
    articles: Sequence[Article],
    known: Mapping[str, Sequence[CountryCount]] | None = None,
) -> list[CountryMention]:
    """Country mentions of the originals; duplicates get none (their original has them).

    ``known`` holds counts the extraction worker already found, by article id.
    """
    mentions = []
    for article in articles:
        if article.duplicate_of is not None:
            continue
        if known is not None and article.article_id in known:
            found = known[article.article_id]
        else:
            found = [
                (c.code, c.name, c.mentions, c.first_offset, c.snippet)
                for c in detect_countries(article.text)
            ]
        mentions += [
            CountryMention(
                article_id=article.article_id,
                country_code=code,
                country_name=name,
                mentions=count,
                first_offset=offset,
                snippet=snippet,
            )
            for code, name, count, offset, snippet in found
        ]
    return mentions


def is_update(entry: FeedEntry, stored: StoredEntry) -> bool:
    """Does the feed say a stored entry may have changed since we stored it?

    Only a later date counts: an "updated" date (Atom's, or ``dc:modified`` and
    ``atom:updated`` inside RSS) later than the one stored, or a ``pubDate`` later than the
    one stored (RSS 2.0 has no other way to say it). Feeds re-list entries with edited titles
    or GUIDs all the time, and that alone neither refetches the page nor creates a second
    article. A later date only has the page re-checked (a conditional GET); a revision is
    stored when the text really changed.
    """
    updated, published = entry.updated_at, entry.published_at
    return (updated is not None and updated > (stored.updated_at or stored.fetched_at)) or (
        published is not None and published > (stored.published_at or stored.fetched_at)
    )
