"""Many quiet feeds on many loopback addresses, served by one asyncio process.

Feed ``k`` lives on the address ``address_of(k % hosts)`` and lists one entry in generation 0.
Switching to generation 1 (``publish``) makes the chosen feeds list new entries on top; the
others keep their body and ETag, so a conditional GET gets a 304. The server counts, per
address, the connections open at once, the largest such count, and the answers by status, so
a benchmark can check politeness from the publishers' side.

A thread-per-request server tops out near 2,000 requests a second on one core; this one
answers keep-alive HTTP/1.1 from one event loop, so that at 10,000 feeds the pipeline, not
the site, is what is measured.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from benchmarks.sites import article_html

PUBLISHED = "Tue, 01 Dec 2026 {:02d}:00:00 +0000"


@dataclass
class Feeds:
    """What the site serves: ``hosts`` addresses, and per feed the entries it lists now."""

    hosts: int
    new_entries: dict[int, int] = field(default_factory=dict)  # feed -> entries added on top
    open_now: Counter[str] = field(default_factory=Counter)
    most_open: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)

    def body(self, path: str, base: str) -> bytes | None:
        if path.startswith("/feed/") and path.endswith(".xml"):
            k = int(path[6:-4])
            return _feed(k, 1 + self.new_entries.get(k, 0), base)
        if path.startswith("/page/") and path.endswith(".html"):
            site, page = path[6:-5].split("/")
            return article_html(int(site), int(page))
        return None


def address_of(host: int) -> str:
    """The ``host``-th address: 127.0.0.2 to 127.0.0.251, then 127.0.1.2 and on."""
    return f"127.0.{host // 250}.{2 + host % 250}"


def _feed(k: int, entries: int, base: str) -> bytes:
    items = "".join(
        f"<item><title>Story {k}-{i}</title><link>{base}/page/{k}/{i}.html</link>"
        f"<guid>{base}/page/{k}/{i}.html</guid><pubDate>{PUBLISHED.format(i)}</pubDate></item>"
        for i in reversed(range(entries))
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {k}</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


def _response(status: int, body: bytes, headers: dict[str, str]) -> bytes:
    reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


async def _serve_connection(
    site: Feeds, base: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    host = base.split("//")[1].split(":")[0]
    site.open_now[host] += 1
    site.answers["connections"] += 1
    site.most_open[host] = max(site.most_open[host], site.open_now[host])
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1].split("?", 1)[0]
            asked = next(
                (ln.split(":", 1)[1].strip() for ln in lines if ln.lower().startswith("if-none")),
                None,
            )
            body = site.body(path, base)
            if body is None:
                status, payload, headers = 404, b"", {}
            else:
                etag = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'
                kind = "application/rss+xml" if path.endswith(".xml") else "text/html"
                status = 304 if asked == etag else 200
                payload = b"" if status == 304 else body
                headers = {"ETag": etag, "Content-Type": kind + "; charset=utf-8"}
            kind_of = "feed" if path.startswith("/feed/") else path.split("/")[1] or "root"
            site.answers[f"{kind_of} {status}"] += 1
            writer.write(_response(status, payload, headers))
            await writer.drain()
    finally:
        site.open_now[host] -= 1
        writer.close()


async def _serve(site: Feeds, port: int, conn: Any) -> None:
    servers, bases = [], []
    for h in range(site.hosts):
        address = address_of(h)
        holder: dict[str, str] = {}

        def handler(
            r: asyncio.StreamReader, w: asyncio.StreamWriter, holder: dict[str, str] = holder
        ) -> Any:
            return _serve_connection(site, holder["base"], r, w)

        server = await asyncio.start_server(handler, address, port, backlog=256)
        holder["base"] = f"http://{address}:{server.sockets[0].getsockname()[1]}"
        servers.append(server)
        bases.append(holder["base"])
    conn.send(bases)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def control() -> None:
        while True:
            message = conn.recv()
            if message == "stop":
                loop.call_soon_threadsafe(stop.set)
                return
            if message == "stats":
                conn.send({"most_open": dict(site.most_open), "answers": dict(site.answers)})
            elif message == "reset":
                site.most_open.clear()
                site.answers.clear()
                conn.send("ok")
            else:  # ("publish", {feed: n})
                site.new_entries = dict(message[1])
                conn.send("ok")

    threading.Thread(target=control, daemon=True).start()
    await stop.wait()
    for server in servers:
        server.close()


def _main(hosts: int, port: int, conn: Any) -> None:
    asyncio.run(_serve(Feeds(hosts), port, conn))


@dataclass
class Site:
    """The running site, seen from the benchmark: base URL per address, and its controls."""

    bases: list[str]
    conn: Any

    def feed_url(self, k: int) -> str:
        return f"{self.bases[k % len(self.bases)]}/feed/{k}.xml"

    def publish(self, new_entries: dict[int, int]) -> None:
        self.conn.send(("publish", new_entries))
        self.conn.recv()

    def reset(self) -> None:
        self.conn.send("reset")
        self.conn.recv()

    def stats(self) -> dict[str, Any]:
        self.conn.send("stats")
        stats: dict[str, Any] = self.conn.recv()
        return stats


@contextmanager
def serving(hosts: int, port: int = 0) -> Iterator[Site]:
    """The site in a child process of its own (it must not share the pipeline's GIL), on
    ``port`` of every address (0: a free port of each)."""
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("spawn").Process(
        target=_main, args=(hosts, port, child), daemon=True
    )
    proc.start()
    try:
        yield Site(parent.recv(), parent)
    finally:
        parent.send("stop")
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
