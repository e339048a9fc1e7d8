"""Sitemaps, and the gap a rolled-over feed leaves filled from the site's news sitemap.

Pure functions over bytes and entries; ``pipeline/gaps.py`` fetches. Most news sites publish a
Google News sitemap (``news:publication_date`` on each URL, the last 48 hours), named in
robots.txt's ``Sitemap:`` lines or behind a sitemap index. When a feed rolled over, the URLs
published between its last read and the oldest entry it lists now, on the feed's host and in
its section, are the entries it scrolled past unseen.

Read with the standard library's expat parser (DOCTYPEs and entities refused, gzip inflated
under the body cap). The maintained sitemap libraries were weighed: ultimate-sitemap-parser is
GPL-3.0-or-later (newsdesk is Apache-2.0), and trafilatura's sitemap module fetches for itself
and reads no publication dates; what is left to do by hand is mapping four elements.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from xml.etree import ElementTree

from protego import Protego

from ingest.feed_entries import parse_date
from ingest.models import FeedEntry
from ingest.urls import canonical_url

GZIP_MAGIC = b"\x1f\x8b"
SOURCE = "news-sitemap"  # what a recovered entry's raw entry says it came from
# An entry's date may be a little earlier than the read that missed it (clocks, rounding).
GAP_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class SitemapUrl:
    url: str
    published_at: datetime | None = None  # news:publication_date, else lastmod


@dataclass(frozen=True)
class Sitemap:
    """A sitemap's page URLs, or (an index) the sitemaps it names."""

    urls: tuple[SitemapUrl, ...] = ()
    children: tuple[str, ...] = ()


def inflate(content: bytes, max_bytes: int) -> bytes:
    """A gzip body (``sitemap.xml.gz``, served as a file, not as a Content-Encoding) inflated,
    at most ``max_bytes`` of it (``ValueError`` past that: a gzip bomb); others as they are."""
    if not content.startswith(GZIP_MAGIC):
        return content
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(content, max_bytes + 1)
    except zlib.error as exc:
        raise ValueError(f"not valid gzip: {exc}") from None
    if len(out) > max_bytes:
        raise ValueError(f"gzip body inflates past the {max_bytes} byte cap")
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(node: ElementTree.Element, name: str) -> str | None:
    for el in node.iter():
        if _local(el.tag) == name and el.text and el.text.strip():
            return el.text.strip()
    return None


def parse_sitemap(content: bytes, max_bytes: int = 10_000_000) -> Sitemap:
    """A sitemap or sitemap index (gzip or not). Raises ``ValueError`` for a document that is
    not one; DOCTYPEs and entities are refused rather than expanded."""
    content = inflate(content, max_bytes)
    if b"<!DOCTYPE" in content[:4096] or b"<!ENTITY" in content[:4096]:
        raise ValueError("sitemap with a DOCTYPE or entities refused")
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as exc:
        raise ValueError(f"not valid XML: {exc}") from None
    kind = _local(root.tag)
    if kind == "sitemapindex":
        found = (_child_text(s, "loc") for s in root if _local(s.tag) == "sitemap")
        return Sitemap(children=tuple(loc for loc in found if loc))
    if kind != "urlset":
        raise ValueError(f"not a sitemap (root element <{kind}>)")
    urls = []
    for node in root:
        loc = _child_text(node, "loc") if _local(node.tag) == "url" else None
        if loc:
            date = _child_text(node, "publication_date") or _child_text(node, "lastmod")
            urls.append(SitemapUrl(loc, parse_date(date)))
    return Sitemap(urls=tuple(urls))


def robots_sitemaps(robots_txt: str) -> list[str]:
    """The sitemaps a robots.txt names, news sitemaps first (by name)."""
    return news_first(Protego.parse(robots_txt).sitemaps)


def news_first(children: Iterable[str]) -> list[str]:
    """An index's sitemaps, those named as news first."""
    return sorted(dict.fromkeys(children), key=lambda url: "news" not in url.lower())


def section_of(entries: Sequence[FeedEntry]) -> str | None:
    """The URL path prefix a feed's entries share (``/world/``), when most of them share one
    first path segment; None when they do not (dated paths, or a mixed feed)."""
    firsts = Counter(parts[1] for e in entries if len(parts := urlsplit(e.url).path.split("/")) > 2)
    if len(entries) < 2 or not firsts:
        return None
    segment, count = firsts.most_common(1)[0]
    if count < 0.8 * len(entries) or segment.isdigit():
        return None
    return f"/{segment}/"


def gap_entries(
    feed_url: str,
    found: Iterable[SitemapUrl],
    listed: Sequence[FeedEntry],
    since: datetime,
    until: datetime,
    section: str | None,
) -> list[FeedEntry]:
    """The sitemap's URLs that belong to the feed's gap, as entries of the feed: on the host
    of the feed's entries, under ``section`` when there is one, dated after ``since`` (the
    feed's last read) and not after ``until`` (the oldest entry it lists now), and not
    listed now. Undated URLs cannot be placed in the gap and are left out."""
    hosts = {urlsplit(e.url).hostname for e in listed} or {urlsplit(feed_url).hostname}
    seen = {e.canonical_url for e in listed}
    out: dict[str, FeedEntry] = {}
    for item in found:
        when = item.published_at
        parts = urlsplit(item.url)
        if when is None or not since - GAP_SLACK < when <= until or parts.hostname not in hosts:
            continue
        if section and not parts.path.startswith(section):
            continue
        try:
            canon = canonical_url(item.url)
        except ValueError:
            continue
        if canon in seen:
            continue
        out.setdefault(
            canon,
            FeedEntry(
                feed_url=feed_url,
                entry_id=item.url,
                url=item.url,
                canonical_url=canon,
                published_at=when,
                raw={"source": SOURCE},
            ),
        )
    return list(out.values())
