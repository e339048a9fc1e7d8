"""No article lost between nights (issue 19): two loopback publishers that keep publishing, and
the cost of a poll over 50 feeds and of a sitemap fill.

The acceptance scenario runs in real time, as the issue states it: each publisher has two
sections that publish one article every 3 s behind feeds of the newest 10; publisher A names
a Google News sitemap in robots.txt, publisher B has none. A run, 60 s, a second run (every feed
must be flagged as rolled over, A's feeds must recover entries), then ``newsdesk poll`` every
5 s for a minute, publishing stops, a final run (no feed may be flagged). Every command is the
real ``newsdesk`` in a subprocess against one warehouse; the pages are real HTML extracted by
trafilatura. About three minutes.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb

from flows.loopback import Handler, running

ROOT = Path(__file__).resolve().parent.parent
EVERY = 3.0  # seconds between two articles of a section
WINDOW = 10  # entries a feed lists
SECTIONS = ("world", "business")
# Made-up words: a page's text is its own, unlike any other page (no near duplicates).
WORDS = [
    a + b
    for a in ("ka", "lo", "mi", "re", "su", "ta", "no", "vi")
    for b in ("ren", "dal", "mos", "tik", "vel", "par", "son", "gur")
]


class Publisher:
    """A site whose sections publish on a clock; the feeds, pages, robots.txt and (``news``)
    a gzip news sitemap behind an index."""

    def __init__(self, host: str, news: bool) -> None:
        self.host, self.news = host, news
        self.published: dict[str, list[datetime]] = {s: [] for s in SECTIONS}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.base = ""

    def start(self) -> None:
        def publish() -> None:
            while not self.stopped.wait(EVERY):
                self.add(1)

        threading.Thread(target=publish, daemon=True).start()

    def add(self, count: int) -> None:
        with self.lock:
            for section in SECTIONS:
                for _ in range(count):
                    self.published[section].append(datetime.now(UTC))

    def url(self, section: str, i: int) -> str:
        return f"{self.base}/{section}/{i}.html"

    def all_urls(self, since: datetime | None = None) -> set[str]:
        with self.lock:
            return {
                self.url(s, i)
                for s, dates in self.published.items()
                for i, at in enumerate(dates)
                if since is None or at >= since
            }

    def answer(self, h: Handler) -> None:
        path = h.path.split("?", 1)[0]
        if path == "/robots.txt":
            extra = f"Sitemap: {self.base}/sitemap-index.xml\n" if self.news else ""
            h.send(
                200, f"User-agent: *\nAllow: /\n{extra}".encode(), {"Content-Type": "text/plain"}
            )
        elif path.endswith(".xml") and path.strip("/").removesuffix(".xml") in SECTIONS:
            h.send(
                200,
                self.feed(path.strip("/").removesuffix(".xml")),
                {"Content-Type": "application/rss+xml"},
            )
        elif self.news and path == "/sitemap-index.xml":
            body = (
                '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                f'sitemap/0.9"><sitemap><loc>{self.base}/sitemap-news.xml.gz</loc></sitemap>'
                "</sitemapindex>"
            )
            h.send(200, body.encode(), {"Content-Type": "application/xml"})
        elif self.news and path == "/sitemap-news.xml.gz":
            h.send(200, gzip.compress(self.sitemap()), {"Content-Type": "application/x-gzip"})
        elif path.endswith(".html"):
            section, _, name = path.strip("/").partition("/")
            h.send(
                200,
                self.page(section, int(name.removesuffix(".html"))),
                {"Content-Type": "text/html; charset=utf-8"},
            )
        else:
            h.send(404)

    def feed(self, section: str) -> bytes:
        with self.lock:
            newest = list(enumerate(self.published[section]))[-WINDOW:]
        items = "".join(
            f"<item><title>{section} story {i}</title><link>{self.url(section, i)}</link>"
            f"<pubDate>{format_datetime(at, usegmt=True)}</pubDate></item>"
            for i, at in reversed(newest)
        )
        return (
            f'<rss version="2.0"><channel><title>{section}</title>{items}</channel></rss>'.encode()
        )

    def sitemap(self) -> bytes:
        with self.lock:
            rows = [(s, i, at) for s, d in self.published.items() for i, at in enumerate(d)]
        cutoff = datetime.now(UTC) - timedelta(hours=48)
        urls = "".join(
            f"<url><loc>{self.url(s, i)}</loc><news:news><news:publication_date>"
            f"{at.isoformat()}</news:publication_date></news:news></url>"
            for s, i, at in rows
            if at > cutoff
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
            'schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{urls}</urlset>"
        ).encode()

    def page(self, section: str, i: int) -> bytes:
        rng = random.Random(f"{self.host}/{section}/{i}")
        paragraphs = "".join(
            "<p>" + " ".join(rng.choice(WORDS) for _ in range(45)).capitalize() + ".</p>"
            for _ in range(4)
        )
        return (
            f"<html><head><title>{section} {i}</title></head><body><article>"
            f"<h1>{section.title()} story {i}</h1>{paragraphs}</article></body></html>"
        ).encode()


def _server(publisher: Publisher) -> ThreadingHTTPServer:
    class Routed(Handler):
        def do_GET(self) -> None:
            publisher.answer(self)

    server = ThreadingHTTPServer((publisher.host, 0), Routed)
    server.daemon_threads = True
    publisher.base = f"http://{publisher.host}:{server.server_address[1]}"
    return server


def _newsdesk(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "cli", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"newsdesk {args[0]} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return time.monotonic() - started, proc.stdout


def _run_feeds(db: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT f.name, f.overflowed, f.missed_estimate, f.recovered FROM run_feeds f"
            " WHERE f.run_id = (SELECT run_id FROM runs WHERE kind = 'run'"
            " ORDER BY started_at DESC LIMIT 1) ORDER BY f.name"
        ).fetchall()
    finally:
        con.close()


def acceptance() -> dict[str, Any]:
    """The issue's scenario, end to end; the figures its 'done when' asks for."""
    a, b = Publisher("127.0.0.1", news=True), Publisher("127.0.0.2", news=False)
    tmp = Path(tempfile.mkdtemp(prefix="newsdesk-coverage-"))
    db = tmp / "w.duckdb"
    with running(_server(a)), running(_server(b)):
        feeds = tmp / "feeds.toml"
        feeds.write_text(
            "".join(
                f'[[feeds]]\nurl = "{p.base}/{s}.xml"\nname = "{label} {s}"\n'
                for label, p in (("A", a), ("B", b))
                for s in SECTIONS
            )
        )
        env = {
            **os.environ,
            "NEWSDESK_DB": str(db),
            "NEWSDESK_FEEDS": str(feeds),
            "NEWSDESK_ALLOW_HOSTS": "127.0.0.1,127.0.0.2",
            "NEWSDESK_POLL_MIN_INTERVAL": "5",
        }
        for p in (a, b):
            p.add(WINDOW)
            p.start()
        first, _ = _newsdesk(["run"], env)
        time.sleep(60)
        second, _ = _newsdesk(["run"], env)
        after_second = _run_feeds(db)
        first_poll = datetime.now(UTC)
        polls: list[float] = []
        while (datetime.now(UTC) - first_poll).total_seconds() < 60:
            seconds, _ = _newsdesk(["poll"], env)
            polls.append(seconds)
            time.sleep(max(0.0, 5 - seconds))
        for p in (a, b):
            p.stopped.set()
        final, _ = _newsdesk(["run"], env)
        after_final = _run_feeds(db)
    con = duckdb.connect(str(db), read_only=True)
    stored = {
        r[0] for r in con.execute("SELECT url FROM articles WHERE source = 'feed'").fetchall()
    }
    copies = con.execute(
        "SELECT count(*) - count(DISTINCT canonical_url),"
        " count(*) FILTER (duplicate_of IS NOT NULL)"
        " FROM articles WHERE source = 'feed'"
    ).fetchone()
    con.close()
    published_a, published_b = a.all_urls(), b.all_urls(first_poll)
    return {
        "runs_seconds": [round(first, 1), round(second, 1), round(final, 1)],
        "polls": len(polls),
        "poll_seconds_median": round(sorted(polls)[len(polls) // 2], 2),
        "second_run": after_second,
        "final_run": after_final,
        "a_published": len(published_a),
        "a_stored": len(published_a & stored),
        "b_published_from_first_poll": len(published_b),
        "b_stored": len(published_b & stored),
        "stored_twice": copies[0] if copies else None,
        "marked_duplicate": copies[1] if copies else None,
    }


def run() -> dict[str, Any]:
    return {"acceptance": acceptance(), **costs()}


def costs() -> dict[str, Any]:
    """A poll over 50 feeds on 10 hosts (command wall time, and in process), and a sitemap
    fill for 50 rolled-over feeds from one 1,000-URL news sitemap."""
    return {"poll_50": poll_cost(), "sitemap_fill": sitemap_cost()}


def _median(values: list[float]) -> float:
    return round(sorted(values)[len(values) // 2], 3)


def _static_feed(base: str, n: int) -> bytes:
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>t{i}</title><link>{base}/f{n}/{i}.html</link>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=i), usegmt=True)}</pubDate></item>"
        for i in range(50)
    )
    return f'<rss version="2.0"><channel><title>f{n}</title>{items}</channel></rss>'.encode()


def poll_cost() -> dict[str, Any]:
    from ingest.feed_list import load_feed_list
    from ingest.settings import Settings
    from pipeline.poll import run_poll

    servers, bases = [], []
    for k in range(10):
        host = f"127.0.0.{k + 3}"

        class Feeds(Handler):
            def do_GET(self) -> None:
                n = int(self.path.strip("/").removesuffix(".xml").removeprefix("f"))
                self.send(200, _static_feed(f"http://{self.headers['Host']}", n))

        server = ThreadingHTTPServer((host, 0), Feeds)
        server.daemon_threads = True
        servers.append(server)
        bases.append(f"http://{host}:{server.server_address[1]}")
    tmp = Path(tempfile.mkdtemp(prefix="newsdesk-poll-cost-"))
    feeds = tmp / "feeds.toml"
    feeds.write_text(
        "".join(
            f'[[feeds]]\nurl = "{base}/f{n}.xml"\nname = "feed {k} {n}"\n'
            for k, base in enumerate(bases)
            for n in range(5)
        )
    )
    hosts = ",".join(f"127.0.0.{k + 3}" for k in range(10))
    env = {
        **os.environ,
        "NEWSDESK_DB": str(tmp / "w.duckdb"),
        "NEWSDESK_FEEDS": str(feeds),
        "NEWSDESK_ALLOW_HOSTS": hosts,
    }
    with contextlib.ExitStack() as stack:
        for server in servers:
            stack.enter_context(running(server))
        command = [_newsdesk(["poll", "--every-feed"], env)[0] for _ in range(3)]
        settings = Settings.load(db=tmp / "w.duckdb", allow_hosts=hosts.split(","))
        specs = load_feed_list(feeds)
        in_process = []
        for _ in range(3):
            started = time.monotonic()
            run_poll(settings, specs, every_feed=True)
            in_process.append(time.monotonic() - started)
    return {"command_s": _median(command), "in_process_s": _median(in_process)}


def sitemap_cost() -> dict[str, Any]:
    from ingest.models import FeedEntry, FeedOutcome, FeedSpec, FeedState
    from ingest.settings import Settings
    from pipeline.gaps import fill_gaps

    site = Publisher("127.0.0.13", news=True)
    with running(_server(site)):
        now = datetime.now(UTC)
        with site.lock:
            for n, section in enumerate(SECTIONS):
                site.published[section] = [now - timedelta(seconds=30 * k + n) for k in range(500)][
                    ::-1
                ]
        specs, outcomes, entries = [], [], []
        for n in range(50):
            section = SECTIONS[n % 2]
            spec = FeedSpec(url=f"{site.base}/{section}.xml?copy={n}", name=f"feed {n}")
            specs.append(spec)
            outcomes.append(
                FeedOutcome(feed_url=spec.url, name=spec.name, status="ok", overflowed=True)
            )
            entries += [
                FeedEntry(
                    feed_url=spec.url,
                    entry_id=str(i),
                    url=site.url(section, i),
                    canonical_url=site.url(section, i),
                    published_at=now - timedelta(seconds=10 * (20 - i)),
                )
                for i in range(490, 500)
            ]
        states = {
            s.url: FeedState(feed_url=s.url, last_success_at=now - timedelta(hours=3))
            for s in specs
        }
        settings = Settings.load(allow_hosts=["127.0.0.13"])
        timings, recovered = [], 0
        for _ in range(3):
            started = time.monotonic()
            recovered = len(fill_gaps(settings, specs, outcomes, entries, states, now))
            timings.append(time.monotonic() - started)
    return {"seconds": _median(timings), "recovered": recovered}


def report(r: dict[str, Any]) -> list[str]:
    acc = r["acceptance"]
    lines = [
        "## No article lost between nights (issue 19)",
        "",
        "`python -m benchmarks.run coverage`. Two loopback publishers, two sections each, one",
        "article per section every 3 s behind feeds of the newest 10; A names a news sitemap in",
        "robots.txt, B none. `newsdesk run`, 60 s, `run`, `newsdesk poll` every 5 s for a",
        "minute (`NEWSDESK_POLL_MIN_INTERVAL=5`), publishing stops, a final `run`.",
        "",
        "| figure | value |",
        "|---|---|",
        "| second run, per feed (name, overflowed, missed estimate, recovered) |"
        f" {acc['second_run']} |",
        f"| final run, per feed | {acc['final_run']} |",
        f"| A: stored of published | {acc['a_stored']} of {acc['a_published']}"
        f" ({acc['a_stored'] / max(acc['a_published'], 1):.1%}) |",
        f"| B: stored of published from the first poll on | {acc['b_stored']} of"
        f" {acc['b_published_from_first_poll']}"
        f" ({acc['b_stored'] / max(acc['b_published_from_first_poll'], 1):.1%}) |",
        f"| articles stored twice (same canonical URL) | {acc['stored_twice']} |",
        f"| articles marked duplicate | {acc['marked_duplicate']} |",
        f"| runs (s) | {acc['runs_seconds']} |",
        "| polls, median seconds per `newsdesk poll` command |"
        f" {acc['polls']}, {acc['poll_seconds_median']} |",
        "",
    ]
    poll, fill = r["poll_50"], r["sitemap_fill"]
    lines += [
        "| cost | median |",
        "|---|---|",
        "| `newsdesk poll --every-feed`, 50 feeds on 10 hosts (command, wall) |"
        f" {poll['command_s']} s |",
        f"| the same poll in process (`run_poll`) | {poll['in_process_s']} s |",
        "| sitemap fill: 50 rolled-over feeds, one 1,000-URL gzip news sitemap |"
        f" {fill['seconds']} s"
        f" ({fill['recovered']} entries) |",
    ]
    return lines
