"""Gap fill from a site's news sitemap (issue 19, point 2): the sitemap reader, the choice of
the gap's URLs, and two nights of a loopback site whose sections outrun their feeds."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from loopback import serve
from publishers import Publisher, Site
from test_coverage import night

from ingest.models import FeedEntry, FeedSpec
from ingest.settings import Settings
from ingest.sitemaps import (
    SitemapUrl,
    gap_entries,
    parse_sitemap,
    robots_sitemaps,
    section_of,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://site.example/world/a</loc>
    <news:news><news:publication_date>2026-11-30T10:00:00+01:00</news:publication_date></news:news>
  </url>
  <url><loc>https://site.example/world/b</loc><lastmod>2026-11-30T09:30:00Z</lastmod></url>
  <url><loc>https://site.example/world/c</loc></url>
</urlset>"""


def entry(url: str, at: datetime | None = None) -> FeedEntry:
    return FeedEntry(feed_url="f", entry_id=url, url=url, canonical_url=url, published_at=at)


def test_a_news_sitemap_gives_each_url_its_publication_date_or_lastmod() -> None:
    for body in (NEWS, gzip.compress(NEWS)):
        found = parse_sitemap(body)
        assert found.urls == (
            SitemapUrl("https://site.example/world/a", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
            SitemapUrl("https://site.example/world/b", datetime(2026, 11, 30, 9, 30, tzinfo=UTC)),
            SitemapUrl("https://site.example/world/c", None),
        )


def test_a_gzip_bomb_stops_at_the_body_cap() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    assert len(bomb) < 10_000
    with pytest.raises(ValueError, match="inflates past the 1000000 byte cap"):
        parse_sitemap(bomb, max_bytes=1_000_000)


def test_robots_txt_names_the_sitemaps_news_first() -> None:
    robots = (
        "User-agent: *\nDisallow: /search\n"
        "Sitemap: https://site.example/sitemap.xml\n"
        "Sitemap: https://site.example/news-sitemap.xml\n"
    )
    assert robots_sitemaps(robots) == [
        "https://site.example/news-sitemap.xml",
        "https://site.example/sitemap.xml",
    ]
    assert robots_sitemaps("User-agent: *\nDisallow:\n") == []


def test_a_feeds_section_is_the_path_prefix_its_entries_share() -> None:
    world = [entry(f"https://site.example/world/{i}") for i in range(5)]
    assert section_of(world) == "/world/"
    dated = [entry(f"https://site.example/2026/11/{i}") for i in range(5)]
    assert section_of(dated) is None
    mixed = [entry(f"https://site.example/{s}/{i}") for i, s in enumerate("abcab")]
    assert section_of(mixed) is None


def test_the_gap_is_the_feeds_host_and_section_between_its_last_read_and_its_oldest_entry() -> None:
    listed = [entry("https://site.example/world/9", NOW)]
    found = [
        SitemapUrl("https://site.example/world/5", NOW - 30 * MINUTE),  # in the gap
        SitemapUrl("https://site.example/world/9", NOW),  # listed now
        SitemapUrl("https://site.example/sport/6", NOW - 20 * MINUTE),  # another section
        SitemapUrl("https://other.example/world/7", NOW - 20 * MINUTE),  # another host
        SitemapUrl("https://site.example/world/1", NOW - 3 * 60 * MINUTE),  # read before
        SitemapUrl("https://site.example/world/8", None),  # undated: cannot be placed
    ]
    gap = gap_entries("f", found, listed, NOW - 60 * MINUTE, NOW, "/world/")
    assert [(e.url, e.published_at, e.raw) for e in gap] == [
        ("https://site.example/world/5", NOW - 30 * MINUTE, {"source": "news-sitemap"})
    ]
    everything = gap_entries("f", found, listed, NOW - 60 * MINUTE, NOW, None)
    assert [e.url for e in everything] == [
        "https://site.example/world/5",
        "https://site.example/sport/6",
    ]


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    from warehouse.db import connect

    return connect(tmp_path / "w.duckdb")


@pytest.mark.parametrize("with_sitemap", [True, False])
def test_a_rolled_over_feed_recovers_its_gap_from_the_news_sitemap(
    con: duckdb.DuckDBPyConnection, settings: Settings, with_sitemap: bool
) -> None:
    world, sport = Publisher(section="world"), Publisher(section="sport")
    site = Site({"world": world, "sport": sport}, news_sitemap=with_sitemap)
    with serve(site.routes()) as (base, stats):
        site.serve_at(base)
        specs = [
            FeedSpec(url=f"{base}/world.xml", name="World"),
            FeedSpec(url=f"{base}/sport.xml", name="Sport"),
        ]
        start = datetime.now(UTC)
        for section in (world, sport):
            section.publish(10, start - 10 * MINUTE, MINUTE)
        night(con, settings, specs, "r1")
        for section in (world, sport):  # 25 each; the feeds list the newest 10
            section.publish(25, start + MINUTE, MINUTE)
        night(con, settings, specs, "r2")
    rows = con.execute(
        "SELECT name, overflowed, missed_estimate, recovered FROM run_feeds"
        " WHERE run_id = 'r2' ORDER BY name"
    ).fetchall()
    queued = con.execute("SELECT count(*) FROM entry_queue").fetchone()[0]
    if with_sitemap:
        assert rows == [("Sport", True, 15, 15), ("World", True, 15, 15)]
        assert queued == 2 * (10 + 25)  # every article of both sections, once
        assert stats.hits["/sitemap-news.xml.gz"] == 1  # one read for both feeds
        health = con.execute("SELECT name, recovered FROM feed_health ORDER BY name")
        assert health.fetchall() == [("Sport", 15), ("World", 15)]
    else:
        assert rows == [("Sport", True, 15, 0), ("World", True, 15, 0)]
        assert queued == 2 * (10 + 10)
        assert stats.hits["/robots.txt"] == 1


def test_a_feed_that_names_its_sitemap_and_section_needs_no_robots_txt(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """The sitemap comes from the feed list, not robots.txt, and the explicit filter keeps
    the other section's URLs out of this feed."""
    world, sport = Publisher(section="world"), Publisher(section="sport")
    site = Site({"world": world, "sport": sport}, news_sitemap=False)
    routes = {**site.routes(), "/news.xml.gz": site.news}
    with serve(routes) as (base, stats):
        site.serve_at(base)
        spec = FeedSpec(
            url=f"{base}/world.xml",
            name="World",
            sitemap=f"{base}/news.xml.gz",
            sitemap_filter="/world/",
        )
        start = datetime.now(UTC)
        for section in (world, sport):
            section.publish(10, start - 10 * MINUTE, MINUTE)
        night(con, settings, spec, "r1")
        for section in (world, sport):
            section.publish(25, start + MINUTE, MINUTE)
        night(con, settings, spec, "r2")
    assert stats.hits["/robots.txt"] == 0 and stats.hits["/news.xml.gz"] == 1
    assert con.execute("SELECT recovered FROM run_feeds WHERE run_id = 'r2'").fetchone() == (15,)
    queued = con.execute("SELECT count(*) FROM entry_queue WHERE canonical_url LIKE '%/sport/%'")
    assert queued.fetchone() == (0,)
