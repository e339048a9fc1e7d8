"""Synthetic loopback news sites for benchmarks: feeds with ETags, article pages, a delay.

Several servers can be started on distinct loopback addresses (127.0.0.1, 127.0.0.2, ...) so
that per-host politeness limits apply as they would across real publishers.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import random
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from flows.loopback import Handler, base_url, http_server, running

WORDS = (
    "government",
    "minister",
    "council",
    "report",
    "market",
    "trade",
    "energy",
    "talks",
    "agreement",
    "border",
    "port",
    "election",
    "budget",
    "court",
    "police",
    "weather",
    "harbour",
    "railway",
    "farmers",
    "prices",
    "exports",
    "health",
    "school",
    "water",
    "project",
    "bank",
    "growth",
    "summit",
    "officials",
    "village",
    "river",
    "coast",
    "industry",
    "city",
    "plan",
    "week",
    "month",
    "year",
    "said",
    "would",
    "could",
    "will",
    "new",
    "first",
    "last",
    "local",
    "national",
    "public",
)


def article_text(seed: int, paragraphs: int = 8) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(3, 5)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(10, 20))]
            sentences.append(" ".join(words).capitalize() + ".")
        out.append(" ".join(sentences))
    return out


def article_html(site: int, page: int) -> bytes:
    title = f"Report {site}-{page}: " + " ".join(
        article_text(site * 10_000 + page, 1)[0].split()[:6]
    )
    body = "".join(f"<p>{p}</p>" for p in article_text(site * 10_000 + page))
    nav = "".join(f'<a href="/section/{i}">Section {i}</a> ' for i in range(30))
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='og:site_name' content='Site {site}'></head><body><header><nav>{nav}"
        f"</nav></header><main><article><h1>{title}</h1>{body}</article></main><aside>"
        + "".join(f"<li><a href='/x/{i}'>Most read {i}</a></li>" for i in range(20))
        + "</aside><footer>© Site</footer></body></html>"
    ).encode()


def zeros_gzip(megabytes: int) -> bytes:
    """A gzip stream of ``megabytes`` MiB of zeros, built from one flushed block repeated
    (compressing a gigabyte would take seconds): each full flush ends byte-aligned with a reset
    dictionary, so the repeated block is a valid continuation."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = comp.compress(b"\0" * (1 << 20)) + comp.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(b"\0" * (1 << 20), crc)
    size = (megabytes << 20) & 0xFFFFFFFF
    trailer = crc.to_bytes(4, "little") + size.to_bytes(4, "little")
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + block * megabytes + comp.flush(zlib.Z_FINISH) + trailer


def zeros_zstd(megabytes: int) -> bytes:
    """A zstd frame of ``megabytes`` MiB of zeros (4 GiB make 128 KB)."""
    import zstandard

    comp = zstandard.ZstdCompressor(level=3).compressobj()
    return b"".join(comp.compress(b"\0" * (1 << 20)) for _ in range(megabytes)) + comp.flush()


@dataclass
class Stats:
    hits: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class SiteSpec:
    feeds: int = 0
    pages_per_feed: int = 10
    delay: float = 0.0
    pages: dict[str, bytes] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # extra, by path


def _feed(spec: SiteSpec, base: str, k: int) -> bytes | None:
    if k >= spec.feeds:
        return None
    items = "".join(
        f"<item><title>Story {k}-{i}</title><link>{base}/page/{k}/{i}.html</link>"
        f"<pubDate>Thu, 26 Nov 2026 0{i % 10}:00:00 +0000</pubDate></item>"
        for i in range(spec.pages_per_feed)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {k}'
        f"</title>{items}</channel></rss>"
    ).encode()


def _body(spec: SiteSpec, base: str, path: str) -> bytes | None:
    """The body at ``path``: a page of the spec, a generated feed or a generated article."""
    if path in spec.pages:
        page = spec.pages[path]
        return page.replace(b"{base}", base.encode()) if path.endswith(".xml") else page
    if path.startswith("/feed/") and path.endswith(".xml"):
        return _feed(spec, base, int(path[6:-4]))
    if path.startswith("/page/"):
        site, page_number = path[6:-5].split("/")
        return article_html(int(site), int(page_number))
    return None


def _handler(spec: SiteSpec, stats: Stats, base: str) -> type[Handler]:
    class Site(Handler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with stats.lock:
                stats.hits[path] += 1
            if spec.delay:
                time.sleep(spec.delay)
            body = _body(spec, base, path)
            if body is None:
                self.send(404)
                return
            etag = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send(304, headers={"ETag": etag})
                return
            ctype = "application/rss+xml" if path.endswith(".xml") else "text/html; charset=utf-8"
            self.send(
                200, body, {"ETag": etag, "Content-Type": ctype, **spec.headers.get(path, {})}
            )

    return Site


@contextmanager
def serve_hosts(spec: SiteSpec, hosts: int) -> Iterator[tuple[list[str], Stats]]:
    """Serve the same site on 127.0.0.1 ... 127.0.0.<hosts>; yields base URLs and hit counts."""
    stats = Stats()
    with ExitStack() as stack:
        bases = []
        for h in range(1, hosts + 1):
            server = http_server(Handler, f"127.0.0.{h}")
            server.RequestHandlerClass = _handler(spec, stats, base_url(server))
            stack.enter_context(running(server))
            bases.append(base_url(server))
        yield bases, stats


def _serve_forever(spec: SiteSpec | Callable[[], SiteSpec], hosts: int, conn: Any) -> None:
    if callable(spec):
        spec = spec()
    with serve_hosts(spec, hosts) as (bases, stats):
        conn.send(bases)
        while True:
            message = conn.recv()
            if message == "stats":
                with stats.lock:
                    conn.send(dict(stats.hits))
            else:
                return


@contextmanager
def serve_hosts_process(
    spec: SiteSpec | Callable[[], SiteSpec], hosts: int
) -> Iterator[tuple[list[str], Any]]:
    """The same servers in a child process, so they do not share the benchmark's GIL (nor its
    memory: pass a picklable factory to build a large site in the child).

    Yields the base URLs and a function returning the hit counts so far.
    """
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("spawn").Process(
        target=_serve_forever, args=(spec, hosts, child), daemon=True
    )
    proc.start()
    bases = parent.recv()

    def hits() -> Counter[str]:
        parent.send("stats")
        return Counter(parent.recv())

    try:
        yield bases, hits
    finally:
        parent.send("stop")
        proc.join(timeout=10)
