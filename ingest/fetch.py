"""All network access: one seam that receives its limits and returns results, never raises.

Redirects are followed by hand so that every hop passes the address guard and the redirect cap;
bodies are read under a cap on their decoded size (``ingest.bodies``); each host is treated
politely (``ingest.politeness``: requests in flight, spacing, retries that honour Retry-After)
and robots.txt is obeyed for article pages. ``ingest.session`` runs this from synchronous code.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
import time
from dataclasses import dataclass, field
from typing import Literal, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from ingest.bodies import ACCEPT_ENCODING, BodyTooLarge, read_capped
from ingest.models import FetchResult
from ingest.politeness import MAX_ROBOTS_BYTES, RETRY_STATUSES, HostGate, retry_delay
from ingest.settings import Settings
from ingest.urls import UnsafeURLError, check_url_allowed, host_allowed, url_problem

log = logging.getLogger(__name__)


Kind = Literal["feed", "page"]
T = TypeVar("T")


@dataclass
class _Attempt:
    """How one attempt ended: its line in the attempt log, its error (None: a usable answer),
    whether another attempt may do better, and the response when there was one."""

    label: str
    error: str | None
    retry: bool = False
    retry_after: str | None = None
    response: dict[str, object] = field(default_factory=dict)


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


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """The request headers of a conditional GET with a resource's stored validators."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


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


# An answer that is not a 200 (a 304, an error page) is read this far, so that its connection
# can be used again: httpcore closes one whose answer was left unread, and a night of 304s
# then opened a connection (a TLS handshake on the real web) per feed.
DRAIN_BYTES = 64 * 1024


async def _drain(response: httpx.Response) -> None:
    """Read and drop a short answer's body; a longer one is left, and its connection closed."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > DRAIN_BYTES:
        return
    with contextlib.suppress(BodyTooLarge, httpx.HTTPError):
        await read_capped(response, DRAIN_BYTES)


class Fetcher:
    """One run's fetching state: the client, per-host gates, robots and address verdicts."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client
        self.gate = HostGate(
            settings.per_host_connections, settings.per_host_delay, settings.max_connections
        )
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
                    await _drain(response)
                    return current, response.status_code, resp_headers, b""
                body = await read_capped(response, limits.max_bytes)
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

    async def _refusal(self, url: str, limits: FetchLimits, robots: bool) -> str | None:
        """Why this URL may not be fetched at all (the address guard, robots.txt), or None."""
        try:
            await self._check(url, limits)
        except UnsafeURLError as exc:
            return f"refused: {exc}"
        if robots and limits.obey_robots:
            parser = await self._robots_for(url)
            if parser is not None and not parser.can_fetch(url, self.robots_agent):
                return "disallowed by robots.txt"
        return None

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

        refused = await self._refusal(url, limits, robots)
        if refused:
            return done(refused)
        host = (urlsplit(url).hostname or "").lower()
        while True:
            attempt = await self._attempt(url, headers, limits, host)
            attempts.append(attempt.label)
            if not attempt.retry or len(attempts) >= limits.max_attempts:
                return done(attempt.error, **attempt.response)
            await asyncio.sleep(
                retry_delay(
                    len(attempts), attempt.retry_after, limits.backoff_base, limits.retry_after_cap
                )
            )

    async def _attempt(
        self, url: str, headers: dict[str, str], limits: FetchLimits, host: str
    ) -> _Attempt:
        """One attempt through the host's gate, and what came of it: every exception an attempt
        may end with becomes its error, retried or not."""
        started = time.monotonic()
        try:
            async with self.gate.turn(host):
                given_up = self._given_up(host)
                if given_up:
                    return _Attempt("host given up", given_up)
                started = time.monotonic()
                final_url, status, resp_headers, body = await asyncio.wait_for(
                    self._once(url, headers, limits), timeout=limits.total_timeout
                )
        except UnsafeURLError as exc:
            return _Attempt("refused", f"refused: {exc}")
        except BodyTooLarge as exc:
            return _Attempt("too large", f"too large: {exc}")
        except httpx.TooManyRedirects as exc:
            return _Attempt("redirects", f"redirects: {exc}")
        except (TimeoutError, httpx.TimeoutException):
            self.lost[host] = self.lost.get(host, 0.0) + time.monotonic() - started
            return _Attempt("timeout", "timeout", retry=True)
        except (httpx.TransportError, OSError) as exc:
            name = exc.__class__.__name__
            return _Attempt(name, f"connection error: {name}: {exc}", retry=True)
        except Exception as exc:
            name = exc.__class__.__name__
            return _Attempt(name, f"{name}: {str(exc)[:300]}")
        response = {
            "final_url": final_url,
            "status": status,
            "content": body,
            "headers": resp_headers,
        }
        return _Attempt(
            f"HTTP {status}",
            None if status in (200, 304) else f"HTTP {status}",
            retry=status in RETRY_STATUSES,
            retry_after=resp_headers.get("retry-after"),
            response=response,
        )
