"""All network access: one seam that receives its limits and returns results, never raises.

Redirects are followed by hand so that every hop passes the address guard and the redirect cap;
bodies are streamed raw and decoded here, a bounded step at a time, so the size cap applies to
decompressed bytes (a gzip bomb is cut off early) and an encoding nobody asked for (zstd, a
stack of gzip layers) is refused instead of decoded without limit.
Politeness lives here too: a per-host cap and delay, robots.txt for article pages, retries with
backoff that honour Retry-After.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import random
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Literal, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from ingest.models import FetchResult
from ingest.settings import Settings
from ingest.urls import UnsafeURLError, check_url_allowed, host_allowed, url_problem
from ingest.waiting import result_within, wait_until

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Robots files are small; a larger one is a misconfigured server, and reading it would cost
# more than the politeness it buys.
MAX_ROBOTS_BYTES = 512 * 1024

Kind = Literal["feed", "page"]
T = TypeVar("T")


class BodyTooLarge(Exception):
    """The body (decoded) is larger than the cap, or uses an encoding that was not asked for."""


# The encodings the client asks for, and so the only ones it decodes.
ACCEPT_ENCODING = "gzip, deflate"
# Decoded bytes produced per decompression step: the most a compressed chunk can add to memory
# before the cap is checked again.
DECODE_STEP = 64 * 1024


class _Retry(Exception):
    """Raised inside an attempt to ask for another one."""


class _HostGivenUp(Exception):
    """Raised before an attempt on a host that has used up its time budget for the run."""


@dataclass
class FetchLimits:
    """Limits for one kind of fetch (feeds or pages)."""

    max_bytes: int
    allow_hosts: frozenset[str]
    max_redirects: int = 5
    total_timeout: float = 60.0
    max_attempts: int = 3
    backoff_base: float = 0.5
    retry_after_cap: float = 30.0
    obey_robots: bool = False

    @classmethod
    def for_kind(cls, settings: Settings, kind: Kind) -> FetchLimits:
        return cls(
            max_bytes=settings.max_feed_bytes if kind == "feed" else settings.max_page_bytes,
            allow_hosts=frozenset(settings.allow_hosts),
            max_redirects=settings.max_redirects,
            total_timeout=settings.total_timeout,
            max_attempts=settings.max_attempts,
            backoff_base=settings.backoff_base,
            retry_after_cap=settings.retry_after_cap,
            obey_robots=settings.obey_robots and kind == "page",
        )

    @classmethod
    def for_feeds(cls, settings: Settings) -> FetchLimits:
        return cls.for_kind(settings, "feed")

    @classmethod
    def for_pages(cls, settings: Settings) -> FetchLimits:
        return cls.for_kind(settings, "page")


@dataclass
class HostGate:
    """At most ``per_host`` requests in flight per host, starts spaced by ``delay`` seconds.

    The spacing runs from the moment a request was let go, not from when it was planned, so a
    busy event loop that wakes one waiter late never lets the next one out early."""

    per_host: int
    delay: float = 0.0
    # Spacing a host asked for itself (robots.txt Crawl-delay), when longer than ``delay``.
    host_delays: dict[str, float] = field(default_factory=dict)
    _sems: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _turns: dict[str, asyncio.Lock] = field(default_factory=dict)
    _last_start: dict[str, float] = field(default_factory=dict)
    starts: dict[str, list[float]] = field(default_factory=dict)  # per host, when let go

    def semaphore(self, host: str) -> asyncio.Semaphore:
        if host not in self._sems:
            self._sems[host] = asyncio.Semaphore(self.per_host)
        return self._sems[host]

    def delay_for(self, host: str) -> float:
        return max(self.delay, self.host_delays.get(host, 0.0))

    async def wait_turn(self, host: str) -> None:
        delay = self.delay_for(host)
        if delay <= 0:
            return
        async with self._turns.setdefault(host, asyncio.Lock()):
            last = self._last_start.get(host)
            if last is not None:
                while (left := last + delay - time.monotonic()) > 0:
                    await asyncio.sleep(left)
            now = time.monotonic()
            self._last_start[host] = now
            self.starts.setdefault(host, []).append(now)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building one loads the CA bundle (about 0.1 s of
    CPU), and a process may make several clients (a Dask worker makes one per batch)."""
    return httpx.create_ssl_context()


def make_client(settings: Settings) -> httpx.AsyncClient:
    """The shared client: connection reuse, timeouts, a descriptive User-Agent."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    limits = httpx.Limits(
        max_connections=settings.max_connections,
        max_keepalive_connections=settings.max_connections,
    )
    return httpx.AsyncClient(
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        verify=tls_context(),
        headers={"User-Agent": settings.full_user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        event_hooks={"response": [_refuse_bad_redirect]},
    )


class _Decoder:
    """Incremental, bounded decoding of one advertised content encoding."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._zlib: Any = None
        self._first = False
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
            self._first = True

    def decode(self, data: bytes, room: int) -> list[bytes]:
        """Decoded pieces of ``data``; raises ``BodyTooLarge`` (naming what was too large) once
        they pass ``room`` bytes."""
        if self._zlib is None:
            if len(data) > room:
                raise BodyTooLarge("body")
            return [data]
        pieces, produced = [], 0
        while data and not self._zlib.eof:  # bytes after the end of the stream are ignored
            try:
                piece = self._zlib.decompress(data, DECODE_STEP)
            except zlib.error as exc:
                if self.encoding == "deflate" and self._first:
                    # Servers send raw deflate as often as the zlib format the name means.
                    self._zlib, self._first = zlib.decompressobj(-zlib.MAX_WBITS), False
                    continue
                raise httpx.DecodingError(f"{self.encoding} body cannot be decoded: {exc}") from exc
            self._first = False
            produced += len(piece)
            if produced > room:
                raise BodyTooLarge("decoded body")
            pieces.append(piece)
            data = self._zlib.unconsumed_tail
        return pieces


def _decoder_for(headers: httpx.Headers) -> _Decoder:
    encodings = [
        e.strip().lower()
        for e in headers.get("content-encoding", "").split(",")
        if e.strip() and e.strip().lower() != "identity"
    ]
    if len(encodings) > 1:
        raise BodyTooLarge(f"stacked content encodings refused ({', '.join(encodings)})")
    if encodings and encodings[0] not in ("gzip", "x-gzip", "deflate"):
        raise BodyTooLarge(f"content encoding {encodings[0]!r} was not asked for")
    return _Decoder(encodings[0] if encodings else "identity")


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The decoded body, never more than ``max_bytes`` of it in memory: raw chunks are decoded
    here a bounded step at a time (httpx would decode a whole chunk, and every encoding it
    knows, before a cap could see the result)."""
    declared = response.headers.get("content-length", "")
    decoder = _decoder_for(response.headers)
    if declared.isdigit() and int(declared) > max_bytes and decoder.encoding == "identity":
        raise BodyTooLarge(f"Content-Length {declared} exceeds the {max_bytes} byte limit")
    chunks: list[bytes] = []
    size = 0
    try:
        async for raw in response.aiter_raw():
            for piece in decoder.decode(raw, max_bytes - size):
                size += len(piece)
                chunks.append(piece)
    except BodyTooLarge as exc:
        raise BodyTooLarge(f"{exc} exceeds the {max_bytes} byte limit") from None
    return b"".join(chunks)


async def _refuse_bad_redirect(response: httpx.Response) -> None:
    """A response hook: a ``Location`` that is not a fetchable http(s) URL is refused here,
    before httpx builds a request from it (which raises outside httpx's error tree)."""
    if not response.has_redirect_location:
        return
    location = response.headers["location"].strip()
    try:
        parts = urlsplit(location)
        target = urljoin(str(response.request.url), location)
        httpx.URL(location)
    except (ValueError, httpx.InvalidURL) as exc:
        problem: str | None = f"it cannot be parsed ({exc})"
    else:
        problem = (
            "it has a scheme but no host"
            if parts.scheme and not parts.netloc
            else url_problem(target)
        )
    if problem:
        raise UnsafeURLError(f"redirect to {location[:120]!r}: {problem}")


def retry_delay(attempt: int, retry_after: str | None, base: float, cap: float) -> float:
    """Retry-After (seconds or HTTP date) when given, capped; else exponential with jitter."""
    if retry_after:
        value = retry_after.strip()
        if value.isdigit():
            return min(float(value), cap)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(0.0, min(when.timestamp() - time.time(), cap))
    delay: float = base * (2 ** (attempt - 1)) * (0.5 + random.random())
    return min(delay, cap)


class Fetcher:
    """One run's fetching state: the client, per-host gates, robots and address verdicts."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client
        self.gate = HostGate(settings.per_host_connections, settings.per_host_delay)
        self._robots: dict[str, asyncio.Task[Protego | None]] = {}
        # Per host: the Crawl-delay its robots.txt asked for and the spacing applied (capped).
        self.crawl_delays: dict[str, tuple[float, float]] = {}
        self._verdicts: dict[tuple[str, int | None], str | None] = {}
        # Seconds each host has lost to timed-out attempts this run; past the budget the host
        # is given up until the next run, so one slow publisher cannot stretch the night.
        self.lost: dict[str, float] = {}
        self.robots_agent = settings.user_agent.split("/", 1)[0]

    async def _check(self, url: str, limits: FetchLimits) -> None:
        """The address guard, with one DNS lookup per host and port per run."""
        problem = url_problem(url)
        if problem:
            raise UnsafeURLError(problem)
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host and host_allowed(host, limits.allow_hosts):
            return
        key = (host, parts.port)
        if key not in self._verdicts:
            try:
                await asyncio.to_thread(check_url_allowed, url, limits.allow_hosts)
                self._verdicts[key] = None
            except UnsafeURLError as exc:
                self._verdicts[key] = str(exc)
        verdict = self._verdicts[key]
        if verdict is not None:
            raise UnsafeURLError(verdict)

    async def _once(
        self, url: str, headers: dict[str, str], limits: FetchLimits
    ) -> tuple[str, int, dict[str, str], bytes]:
        """One attempt, following redirects by hand; raises on failure."""
        current = url
        seen = {url}
        for _hop in range(limits.max_redirects + 1):
            await self._check(current, limits)
            async with self.client.stream("GET", current, headers=headers) as response:
                if response.has_redirect_location:
                    nxt = urljoin(current, response.headers["location"].strip())
                    if nxt in seen:
                        raise httpx.TooManyRedirects(f"redirect loop at {nxt}")
                    seen.add(nxt)
                    current = nxt
                    continue
                resp_headers = {k.lower(): v for k, v in response.headers.items()}
                if response.status_code != 200:
                    return current, response.status_code, resp_headers, b""
                body = await _read_capped(response, limits.max_bytes)
                return current, response.status_code, resp_headers, body
        raise httpx.TooManyRedirects(f"more than {limits.max_redirects} redirects")

    async def _robots_for(self, url: str) -> Protego | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if origin not in self._robots:
            self._robots[origin] = asyncio.ensure_future(self._load_robots(origin))
        return await self._robots[origin]

    async def _load_robots(self, origin: str) -> Protego | None:
        """A missing robots.txt (4xx) allows everything; so does an unreachable one.

        Parsed with protego (Scrapy's parser), which implements what the standard library's
        does not: ``*`` and ``$`` in paths, longest match wins, ``Crawl-delay``. A Crawl-delay
        longer than the configured spacing becomes this host's spacing, capped at
        ``max_crawl_delay`` (a site asking for minutes would otherwise take the night)."""
        limits = FetchLimits.for_pages(self.settings)
        limits.max_bytes, limits.max_attempts = MAX_ROBOTS_BYTES, 1
        result = await self.fetch(origin + "/robots.txt", limits, robots=False)
        if not result.ok:
            return None
        try:
            parser = Protego.parse(result.content.decode("utf-8", "replace"))
            asked = parser.crawl_delay(self.robots_agent)
        except Exception:  # a robots.txt protego cannot read allows everything
            return None
        if asked is not None and asked > 0:
            host = (urlsplit(origin).hostname or "").lower()
            applied = min(float(asked), self.settings.max_crawl_delay)
            self.crawl_delays[host] = (float(asked), applied)
            if applied > self.gate.delay:
                self.gate.host_delays[host] = applied
        return parser

    async def fetch(
        self,
        url: str,
        limits: FetchLimits,
        headers: dict[str, str] | None = None,
        robots: bool = True,
    ) -> FetchResult:
        """Fetch a URL with retries on transient failures; every failure becomes ``error``,
        whatever raised it: one URL never fails the batch it belongs to."""
        started = time.monotonic()
        try:
            return await self._fetch(url, limits, headers or {}, robots, started)
        except Exception as exc:
            return FetchResult(
                url=url,
                final_url=url,
                error=f"failed: {exc.__class__.__name__}: {str(exc)[:300]}",
                attempts=0,
                elapsed_ms=int((time.monotonic() - started) * 1000),
            )

    def _given_up(self, host: str) -> str | None:
        lost = self.lost.get(host, 0.0)
        if lost < self.settings.host_time_budget:
            return None
        return f"host given up for this run: {lost:.0f} s lost to timeouts"

    async def _fetch(
        self,
        url: str,
        limits: FetchLimits,
        headers: dict[str, str],
        robots: bool,
        started: float,
    ) -> FetchResult:
        attempts: list[str] = []

        def done(error: str | None, **kw: object) -> FetchResult:
            return FetchResult.model_validate(
                {
                    "url": url,
                    "final_url": url,
                    "error": error,
                    "attempts": len(attempts),
                    "attempt_log": tuple(attempts),
                    "elapsed_ms": int((time.monotonic() - started) * 1000),
                    **kw,
                }
            )

        try:
            await self._check(url, limits)
        except UnsafeURLError as exc:
            return done(f"refused: {exc}")
        if robots and limits.obey_robots:
            parser = await self._robots_for(url)
            if parser is not None and not parser.can_fetch(url, self.robots_agent):
                return done("disallowed by robots.txt")
        host = (urlsplit(url).hostname or "").lower()
        while True:
            retry_after: str | None = None
            attempt_started = time.monotonic()
            try:
                async with self.gate.semaphore(host):
                    await self.gate.wait_turn(host)
                    if self._given_up(host):
                        raise _HostGivenUp
                    attempt_started = time.monotonic()
                    final_url, status, resp_headers, body = await asyncio.wait_for(
                        self._once(url, headers, limits), timeout=limits.total_timeout
                    )
                attempts.append(f"HTTP {status}")
                if status in RETRY_STATUSES and len(attempts) < limits.max_attempts:
                    retry_after = resp_headers.get("retry-after")
                    raise _Retry
                error = None if status in (200, 304) else f"HTTP {status}"
                return done(
                    error, final_url=final_url, status=status, content=body, headers=resp_headers
                )
            except _Retry:
                pass
            except _HostGivenUp:
                attempts.append("host given up")
                return done(self._given_up(host))
            except UnsafeURLError as exc:
                attempts.append("refused")
                return done(f"refused: {exc}")
            except BodyTooLarge as exc:
                attempts.append("too large")
                return done(f"too large: {exc}")
            except httpx.TooManyRedirects as exc:
                attempts.append("redirects")
                return done(f"redirects: {exc}")
            except (TimeoutError, httpx.TimeoutException):
                attempts.append("timeout")
                self.lost[host] = self.lost.get(host, 0.0) + time.monotonic() - attempt_started
                if len(attempts) >= limits.max_attempts:
                    return done("timeout")
            except (httpx.TransportError, OSError) as exc:
                attempts.append(exc.__class__.__name__)
                if len(attempts) >= limits.max_attempts:
                    return done(f"connection error: {exc.__class__.__name__}: {exc}")
            except Exception as exc:
                attempts.append(exc.__class__.__name__)
                return done(f"{exc.__class__.__name__}: {str(exc)[:300]}")
            await asyncio.sleep(
                retry_delay(len(attempts), retry_after, limits.backoff_base, limits.retry_after_cap)
            )


class FetchSession:
    """One run's fetching, across its batches: one client (connections kept alive from batch
    to batch), one robots.txt per host, and per-host spacing that holds from one batch to the
    next. Its event loop runs in a thread of its own, so a batch is fetched while the caller
    extracts and stores the one before.

    A client per batch reconnected to every host and read its robots.txt again each time: a
    tenth of the flow process's CPU on the end-to-end benchmark.
    """

    def __init__(self, settings: Settings) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="newsdesk-fetch", daemon=True
        )
        self._thread.start()
        self._fetcher = self._call(self._open(settings)).result()
        self._late: list[concurrent.futures.Future[FetchResult]] = []
        self._reported: set[str] = set()
        self._unfetched: list[str] = []

    @staticmethod
    async def _open(settings: Settings) -> Fetcher:
        return Fetcher(settings, make_client(settings))

    def _call(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def _gather(
        self,
        urls: Sequence[str],
        limits: FetchLimits,
        headers_for: dict[str, dict[str, str]],
        on_done: Callable[[FetchResult], None] | None,
    ) -> list[FetchResult]:
        fetcher = self._fetcher

        async def one(url: str) -> FetchResult:
            result = await fetcher.fetch(url, limits, headers_for.get(url))
            if on_done is not None:
                on_done(result)
            return result

        return list(await asyncio.gather(*(one(u) for u in urls)))

    def fetch(
        self,
        urls: Sequence[str],
        limits: FetchLimits,
        headers_for: dict[str, dict[str, str]] | None = None,
        on_done: Callable[[FetchResult], None] | None = None,
    ) -> list[FetchResult]:
        """Fetch many URLs concurrently within the global and per-host limits; order kept.
        ``on_done`` is called with each result as it arrives (in the fetching thread)."""
        return self._call(self._gather(list(urls), limits, headers_for or {}, on_done)).result()

    def fetch_some(
        self,
        urls: Sequence[str],
        limits: FetchLimits,
        patience: float,
        byte_budget: int | None = None,
    ) -> list[FetchResult]:
        """Start fetching ``urls`` and wait at most ``patience`` seconds: the results done by
        then, in the order of ``urls``, followed by earlier URLs that have finished since.
        The others go on fetching and come out of a later call, or of ``late``: one slow host
        never holds the pages of the others (they would wait for its every timeout).

        Once the bodies that arrived reach ``byte_budget``, the batch ends there: the URLs not
        done are cancelled (a request in flight is dropped) and handed back by ``unfetched``,
        for a later batch. A batch planned from small pages that meets large ones would
        otherwise hold them all (25 pages of 9.5 MB after a first batch of small ones)."""
        started = [(url, self._call(self._fetcher.fetch(url, limits))) for url in urls]
        futures = [f for _, f in started]

        def full() -> bool:
            arrived = sum(len(f.result().content) for f in futures if f.done())
            return byte_budget is not None and arrived >= byte_budget

        wait_until(lambda: all(f.done() for f in futures) or full(), patience)
        cut = full()
        done = []
        for url, future in started:
            if future.done():
                done.append(future.result())
            elif cut:
                future.cancel()
                self._unfetched.append(url)
            else:
                self._late.append(future)
        return done + self._take_late(wait=False)

    def unfetched(self) -> list[str]:
        """The URLs the last batches gave back unfetched (see ``fetch_some``); once each."""
        urls, self._unfetched = self._unfetched, []
        return urls

    def new_crawl_delays(self) -> dict[str, tuple[float, float]]:
        """Hosts whose robots.txt asked for a Crawl-delay since the last call: (asked,
        applied) seconds."""
        delays = self._fetcher.crawl_delays
        fresh = {h: d for h, d in delays.items() if h not in self._reported}
        self._reported.update(fresh)
        return fresh

    def late(self, most: int) -> list[FetchResult]:
        """Up to ``most`` of the URLs still fetching when their batch was returned, waiting
        for the first of them to finish; empty once there are none left."""
        return self._take_late(wait=True, most=most)

    def _take_late(self, wait: bool, most: int | None = None) -> list[FetchResult]:
        if wait and self._late:
            concurrent.futures.wait(self._late, return_when=concurrent.futures.FIRST_COMPLETED)
        done = [f for f in self._late if f.done()][:most]
        self._late = [f for f in self._late if f not in done]
        return [f.result() for f in done]

    def close(self) -> None:
        if self._loop.is_closed():
            return
        # Closing runs in a `finally` of the flow: it must not hide the error that ended it.
        with contextlib.suppress(Exception):
            result_within(self._call(self._fetcher.client.aclose()), 10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> FetchSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fetch_all_sync(
    settings: Settings,
    urls: Sequence[str],
    limits: FetchLimits,
    headers_for: dict[str, dict[str, str]] | None = None,
    on_done: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """One fetch of many URLs, for callers with nothing else to fetch in the run."""
    with FetchSession(settings) as session:
        return session.fetch(urls, limits, headers_for, on_done)
