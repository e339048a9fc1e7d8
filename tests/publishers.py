"""Loopback publishers that keep publishing: a section whose feed lists its newest entries."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import format_datetime

from flows.loopback import Handler


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
