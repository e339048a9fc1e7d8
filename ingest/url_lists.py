"""Article URLs found outside feeds: plain lists (one per line) and XML sitemaps."""

from __future__ import annotations

from xml.etree import ElementTree

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


def parse_sitemap(content: bytes) -> tuple[list[str], list[str]]:
    """(page URLs, child sitemap URLs) of a sitemap or sitemap index.

    Raises ``ValueError`` for a document that is not a sitemap; DOCTYPEs and entities are
    refused rather than expanded.
    """
    if b"<!DOCTYPE" in content[:4096] or b"<!ENTITY" in content[:4096]:
        raise ValueError("sitemap with a DOCTYPE or entities refused")
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as exc:
        raise ValueError(f"not valid XML: {exc}") from None
    kind = root.tag.rsplit("}", 1)[-1]
    if kind not in ("urlset", "sitemapindex"):
        raise ValueError(f"not a sitemap (root element <{kind}>)")
    locs = [
        el.text.strip()
        for el in root.iter()
        if el.tag.rsplit("}", 1)[-1] == "loc" and el.text and el.text.strip()
    ]
    return (locs, []) if kind == "urlset" else ([], locs)


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
