"""Fetching across many hosts: the run-wide cap, connections kept across answers without a
body, slots handed on within a host, and feeds fetched in the extraction pool's processes
(issue 22). Real loopback servers, one per 127.x address."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

import pytest
from loopback import body, serve

from flows.loopback import base_url, http_server
from ingest.extract import extraction_pool
from ingest.fetch import FetchLimits
from ingest.models import FeedOutcome, FeedSpec, FetchResult, RunSummary
from ingest.politeness import Slots
from ingest.session import by_host, fetch_all_sync
from ingest.settings import Settings
from pipeline import feeds
from pipeline.run import summary_markdown


class Seen:
    """What every server of a test saw: requests in flight in all, and per address."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.total_now = 0
        self.total_most = 0
        self.connections: set[tuple[str, int]] = set()

    def enter(self, host: str, client: tuple[str, int]) -> None:
        with self.lock:
            self.connections.add(client)
            self.now[host] = self.now.get(host, 0) + 1
            self.most[host] = max(self.most.get(host, 0), self.now[host])
            self.total_now += 1
            self.total_most = max(self.total_most, self.total_now)

    def leave(self, host: str) -> None:
        with self.lock:
            self.now[host] -= 1
            self.total_now -= 1


@contextmanager
def hosts(count: int, delay: float = 0.0, status: int = 200) -> Iterator[tuple[list[str], Seen]]:
    """``count`` servers on 127.0.0.2, 127.0.0.3, ...; every path answers ``status`` (a small
    feed for a 200) after ``delay`` seconds."""
    seen = Seen()

    class Answer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            host = self.server.server_address[0]
            seen.enter(host, self.client_address)
            try:
                time.sleep(delay)
                data = b"" if status == 304 else FEED % self.path.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Content-Type", "application/rss+xml")
                self.end_headers()
                self.wfile.write(data)
            finally:
                seen.leave(host)

        def log_message(self, *args: object) -> None:
            pass

    servers = [http_server(Answer, host=f"127.0.0.{2 + n}") for n in range(count)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield [base_url(s) for s in servers], seen
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>x</title>'
    b"<link>http://example.org%s</link></item></channel></rss>"
)


@pytest.fixture
def ranged(settings: Settings) -> Settings:
    return settings.model_copy(update={"allow_hosts": ["127.0.0.0/8"], "backoff_base": 0.01})


def test_answers_without_a_body_keep_their_connection(settings: Settings) -> None:
    """httpcore closes a connection whose answer was left unread: a night of 304s opened one
    connection (a TLS handshake on the real web) per feed."""
    one = settings.model_copy(update={"per_host_connections": 1})
    routes = {f"/f{i}": body(b"", status=304) for i in range(6)}
    routes |= {f"/gone{i}": body(b"not here", status=404) for i in range(3)}
    with serve(routes) as (base, stats):
        urls = [f"{base}{path}" for path in routes]
        results = fetch_all_sync(one, urls, FetchLimits.for_feeds(one))
    assert [r.status for r in results] == [304] * 6 + [404] * 3
    assert len(stats.clients) == 1


def test_the_run_wide_cap_holds_across_hosts(ranged: Settings) -> None:
    capped = ranged.model_copy(update={"max_connections": 3})
    with hosts(6, delay=0.05) as (bases, seen):
        urls = [f"{base}/f{i}.xml" for i in range(4) for base in bases]
        results = fetch_all_sync(capped, urls, FetchLimits.for_feeds(capped))
    assert all(r.ok for r in results) and [r.url for r in results] == urls
    assert seen.total_most == 3
    assert max(seen.most.values()) <= 2


def test_a_freed_slot_goes_to_a_request_of_the_same_host() -> None:
    async def scenario() -> list[str]:
        slots = Slots(1)
        order: list[str] = []
        await slots.take("a")

        async def wait(host: str, label: str) -> None:
            await slots.take(host)
            order.append(label)

        other = asyncio.ensure_future(wait("b", "b"))
        same = asyncio.ensure_future(wait("a", "a2"))
        await asyncio.sleep(0)
        slots.give("a")  # b waited longer, but a2 finds a's connection still open
        await asyncio.sleep(0)
        slots.give("a")  # no request of a is waiting: the next in line
        await asyncio.gather(other, same)
        slots.give("b")
        return [*order, str(slots.free)]

    assert asyncio.run(scenario()) == ["a2", "b", "1"]


def test_a_host_with_requests_waiting_keeps_its_slot_and_its_connection(
    ranged: Settings,
) -> None:
    """One slot, one request per host: the second request of the first host waits for its
    place, not for a slot, and is still served next, on the connection just freed. Handed to
    the other host, the slot would have the pool (one connection) close it each time."""
    narrow = ranged.model_copy(update={"max_connections": 1, "per_host_connections": 1})
    with hosts(2) as ((a, b), seen):
        urls = [f"{a}/1", f"{b}/1", f"{a}/2", f"{a}/3", f"{b}/2"]
        results = fetch_all_sync(narrow, urls, FetchLimits.for_feeds(narrow))
    assert all(r.ok for r in results)
    assert len(seen.connections) == 2


def test_a_slot_handed_to_a_cancelled_request_is_handed_on() -> None:
    async def scenario() -> int:
        slots = Slots(1)
        await slots.take("a")
        gone = asyncio.ensure_future(slots.take("a"))
        await asyncio.sleep(0)
        slots.give("a")
        gone.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gone
        return slots.free

    assert asyncio.run(scenario()) == 1


def test_by_host_keeps_each_host_in_one_group_and_the_groups_even() -> None:
    urls = [f"http://h{h}.example/{i}" for h in range(7) for i in range(h + 1)]
    groups = by_host(urls, 3)
    assert sorted(u for g in groups for u in g) == sorted(urls)
    for group in groups:
        names = {u.split("/")[2] for u in group}
        assert all(u.split("/")[2] not in names for g in groups if g is not group for u in g)
    sizes = sorted(len(g) for g in groups)
    assert sizes[-1] - sizes[0] <= 7 and len(groups) == 3
    assert by_host(urls[:1], 4) == [urls[:1]]


def test_many_feeds_are_fetched_in_the_pool_and_stay_polite(
    ranged: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flow process fetches a feed for about 1.2 ms of CPU on one core; the pool's
    processes fetch many on all of them, each host in one process, so the per-host limit
    holds as the publisher sees it."""
    monkeypatch.setattr(feeds, "POOL_MIN_FEEDS", 1)

    def not_here(*args: object, **kwargs: object) -> None:
        raise AssertionError("the flow process fetched the feeds itself")

    monkeypatch.setattr(feeds, "fetch_all_sync", not_here)  # the workers have their own
    with hosts(5, delay=0.02) as (bases, seen):
        specs = [
            FeedSpec(url=f"{base}/feed{i}.xml", name=f"{n}-{i}")
            for i in range(8)
            for n, base in enumerate(bases)
        ]
        pool = extraction_pool(2)
        advanced: list[int] = []
        try:
            results = feeds.fetch_due_feeds(
                ranged, specs, {}, datetime(2026, 12, 1, tzinfo=UTC), advanced.append, pool
            )
        finally:
            pool.shutdown()
    assert [r.url for r in results if not isinstance(r, str)] == [s.url for s in specs]
    assert all(not isinstance(r, str) and r.ok for r in results)
    assert sum(advanced) == len(specs)
    assert max(seen.most.values()) <= 2


def _outcome(name: str, status: str, error: str | None = None) -> FeedOutcome:
    return FeedOutcome(feed_url=f"http://x.example/{name}", name=name, status=status, error=error)


def test_quiet_feeds_are_counted_not_listed_in_the_run_summary() -> None:
    outcomes = [_outcome(f"q{i}", "not_modified") for i in range(50)]
    outcomes += [_outcome("same", "unchanged"), _outcome("fresh", "ok")]
    outcomes.append(_outcome("gone", "error", "HTTP 404"))
    text = summary_markdown(RunSummary(run_id="r1"), outcomes)
    assert "| fresh | ok |" in text and "| gone | error |" in text and "HTTP 404" in text
    assert "| q0 |" not in text and "| same |" not in text
    assert "51 feeds had nothing new" in text


def test_a_quiet_feed_s_line_is_a_debug_line_and_the_night_gets_a_tally(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    specs = [FeedSpec(url=f"http://x.example/{i}", name=f"feed {i}") for i in range(3)]
    results = [
        FetchResult(url=specs[0].url, final_url=specs[0].url, status=304),
        FetchResult(url=specs[1].url, final_url=specs[1].url, status=304),
        FetchResult(url=specs[2].url, final_url=specs[2].url, error="HTTP 500", status=500),
    ]
    with caplog.at_level(logging.DEBUG, logger="pipeline.feeds"):
        feeds.read_feeds(settings, specs, results, {})
    levels = {r.getMessage(): r.levelno for r in caplog.records}
    assert levels["feeds: 2 not_modified, 1 error"] == logging.INFO
    quiet = [m for m in levels if m.startswith("feed feed 0: not_modified")]
    assert quiet and levels[quiet[0]] == logging.DEBUG
    assert any(
        m.startswith("feed feed 2: error") and lv == logging.WARNING for m, lv in levels.items()
    )
