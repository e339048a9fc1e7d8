"""Loopback publishers that keep publishing: a section whose feed lists its newest entries."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import format_datetime

from flows.loopback import Handler

Route = Callable[[Handler], None]


class Publisher:
    """A section that keeps publishing: its feed lists the newest ``window`` articles, each at
    ``<site>/<section>/<n>`` (``site`` as the entries' host, so that loopback feeds can list
    pages on a site that is not served)."""

    def __init__(
        self, window: int = 10, site: str = "https://news.example", section: str = ""
    ) -> None:
        self.window = window
        self.site = site
        self.section = section
        self.published: list[datetime] = []

    def publish(self, count: int, start: datetime, every: timedelta) -> None:
        self.published += [start + k * every for k in range(count)]

    def url(self, i: int) -> str:
        return f"{self.site}/{self.section + '/' if self.section else ''}{i}"

    def feed(self, h: Handler) -> None:
        newest = list(enumerate(self.published))[-self.window :]
        items = "".join(
            f"<item><title>Story {i}</title><link>{self.url(i)}</link>"
            f"<pubDate>{format_datetime(at, usegmt=True)}</pubDate></item>"
            for i, at in reversed(newest)
        )
        body = f'<rss version="2.0"><channel><title>Section</title>{items}</channel></rss>'
        h.send(200, body.encode(), {"Content-Type": "application/rss+xml"})


class Site:
    """Sections of one site and, when ``news_sitemap``, its Google News sitemap (the last 48
    hours of every section, gzip, behind an index named in robots.txt)."""

    def __init__(self, sections: dict[str, Publisher], news_sitemap: bool = True) -> None:
        self.sections = sections
        self.news_sitemap = news_sitemap

    def serve_at(self, base: str) -> None:
        for publisher in self.sections.values():
            publisher.site = base

    def routes(self) -> dict[str, Route]:
        routes: dict[str, Route] = {f"/{name}.xml": p.feed for name, p in self.sections.items()}
        routes["/robots.txt"] = self.robots
        if self.news_sitemap:
            routes["/sitemap-index.xml"] = self.index
            routes["/sitemap-news.xml.gz"] = self.news
        return routes

    def robots(self, h: Handler) -> None:
        lines = "User-agent: *\nAllow: /\n"
        if self.news_sitemap:
            base = next(iter(self.sections.values())).site
            lines += f"Sitemap: {base}/sitemap-index.xml\n"
        h.send(200, lines.encode(), {"Content-Type": "text/plain"})

    def index(self, h: Handler) -> None:
        base = next(iter(self.sections.values())).site
        body = (
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}/sitemap-news.xml.gz</loc></sitemap></sitemapindex>"
        )
        h.send(200, body.encode(), {"Content-Type": "application/xml"})

    def news(self, h: Handler) -> None:
        newest = max((at for p in self.sections.values() for at in p.published), default=None)
        urls = "".join(
            f"<url><loc>{p.url(i)}</loc><news:news><news:publication>"
            "<news:name>Loopback</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{at.isoformat()}"
            "</news:publication_date><news:title>Story</news:title></news:news></url>"
            for p in self.sections.values()
            for i, at in enumerate(p.published)
            if newest is not None and at > newest - timedelta(hours=48)
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
            ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{urls}</urlset>"
        )
        h.send(200, gzip.compress(body.encode()), {"Content-Type": "application/x-gzip"})
