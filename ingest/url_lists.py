"""Article URLs found outside feeds: plain lists (one per line); sitemaps are ``sitemaps``."""

from __future__ import annotations

from ingest.models import FeedEntry
from ingest.urls import canonical_url


def read_url_list(text: str) -> tuple[list[str], list[str]]:
    """(valid URLs, one reason per rejected line); blank lines and # comments are skipped."""
    urls, rejected = [], []
    for n, line in enumerate(text.splitlines(), start=1):
        url = line.strip()
        if not url or url.startswith("#"):
            continue
        try:
            canonical_url(url)
        except ValueError as exc:
            rejected.append(f"line {n}: {exc}")
            continue
        urls.append(url)
    return urls, rejected


def entries_for(urls: list[str], source: str) -> list[FeedEntry]:
    """Feed entries for URLs that no feed listed; ``source`` stands where the feed URL would."""
    out: dict[str, FeedEntry] = {}
    for url in urls:
        try:
            canon = canonical_url(url)
        except ValueError:
            continue
        out.setdefault(
            canon,
            FeedEntry(
                feed_url=source, entry_id=url, url=url, canonical_url=canon, raw={"source": source}
            ),
        )
    return list(out.values())
