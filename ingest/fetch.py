"""All network access: one seam that receives its limits and returns results, never raises.

Redirects are followed by hand so that every hop passes the address guard and the redirect cap;
bodies are streamed so the size cap applies to decompressed bytes (a gzip bomb is cut off early).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from ingest.models import FeedState, FetchResult
from ingest.settings import Settings
from ingest.urls import UnsafeURLError, check_url_allowed

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Two retries with a short backoff recover most transient errors within a nightly run without
# letting one dead host hold a connection slot for minutes.
MAX_ATTEMPTS = 3
BACKOFF_BASE_S = 0.5
RETRY_AFTER_CAP_S = 30.0


class BodyTooLarge(Exception):
    pass


class _Retry(Exception):
    """Raised inside an attempt to ask for another one."""


@dataclass
class FetchLimits:
    """Limits for one kind of fetch (feeds or pages)."""

    max_bytes: int
    allow_hosts: frozenset[str]
    max_redirects: int = 5
    total_timeout: float = 60.0
    max_attempts: int = MAX_ATTEMPTS
    backoff_base: float = BACKOFF_BASE_S

    @classmethod
    def for_feeds(cls, settings: Settings) -> FetchLimits:
        return cls(
            settings.max_feed_bytes,
            frozenset(settings.allow_hosts),
            settings.max_redirects,
            settings.total_timeout,
        )

    @classmethod
    def for_pages(cls, settings: Settings) -> FetchLimits:
        return cls(
            settings.max_page_bytes,
            frozenset(settings.allow_hosts),
            settings.max_redirects,
            settings.total_timeout,
        )


@dataclass
class HostGate:
    """Caps requests in flight per host; the client's pool caps them globally."""

    per_host: int
    _sems: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def __call__(self, url: str) -> asyncio.Semaphore:
        host = (urlsplit(url).hostname or "").lower()
        if host not in self._sems:
            self._sems[host] = asyncio.Semaphore(self.per_host)
        return self._sems[host]


def make_client(settings: Settings) -> httpx.AsyncClient:
    """The shared client: connection reuse, timeouts, a descriptive User-Agent."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    limits = httpx.Limits(
        max_connections=settings.max_connections, max_keepalive_connections=settings.max_connections
    )
    return httpx.AsyncClient(
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
    )


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes * 20:
        raise BodyTooLarge(f"Content-Length {declared} exceeds the {max_bytes} byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(f"body exceeds the {max_bytes} byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _retry_delay(attempt: int, response: httpx.Response | None, base: float) -> float:
    if response is not None:
        retry_after = response.headers.get("retry-after", "")
        if retry_after.strip().isdigit():
            return min(float(retry_after.strip()), RETRY_AFTER_CAP_S)
    delay: float = base * (2 ** (attempt - 1)) * (0.5 + random.random())
    return delay


async def _fetch_once(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], limits: FetchLimits
) -> tuple[str, int, dict[str, str], bytes]:
    """One attempt, following redirects by hand; raises on failure."""
    current = url
    seen = {url}
    for _hop in range(limits.max_redirects + 1):
        await asyncio.to_thread(check_url_allowed, current, limits.allow_hosts)
        async with client.stream("GET", current, headers=headers) as response:
            if response.has_redirect_location:
                location = response.headers.get("location", "")
                nxt = urljoin(current, location)
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


async def fetch_one(
    client: httpx.AsyncClient,
    url: str,
    limits: FetchLimits,
    gate: HostGate,
    headers: dict[str, str] | None = None,
) -> FetchResult:
    """Fetch a URL with retries on transient failures; every failure becomes ``error``."""
    headers = headers or {}
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        retry_response: httpx.Response | None = None
        try:
            async with gate(url):
                final_url, status, resp_headers, body = await asyncio.wait_for(
                    _fetch_once(client, url, headers, limits), timeout=limits.total_timeout
                )
            if status in RETRY_STATUSES and attempt < limits.max_attempts:
                retry_response = httpx.Response(status, headers=resp_headers)
                raise _Retry
            error = None if status in (200, 304) else f"HTTP {status}"
            return FetchResult(
                url=url,
                final_url=final_url,
                status=status,
                content=body,
                headers=resp_headers,
                error=error,
                attempts=attempt,
                elapsed_ms=int((time.monotonic() - started) * 1000),
            )
        except _Retry:
            pass
        except UnsafeURLError as exc:
            return _failure(url, f"refused: {exc}", started, attempt)
        except BodyTooLarge as exc:
            return _failure(url, f"too large: {exc}", started, attempt)
        except httpx.TooManyRedirects as exc:
            return _failure(url, f"redirects: {exc}", started, attempt)
        except (TimeoutError, httpx.TimeoutException):
            if attempt >= limits.max_attempts:
                return _failure(url, "timeout", started, attempt)
        except (httpx.TransportError, OSError) as exc:
            if attempt >= limits.max_attempts:
                return _failure(
                    url, f"connection error: {exc.__class__.__name__}: {exc}", started, attempt
                )
        except (httpx.HTTPError, ValueError) as exc:
            return _failure(url, f"{exc.__class__.__name__}: {exc}", started, attempt)
        await asyncio.sleep(_retry_delay(attempt, retry_response, limits.backoff_base))


def _failure(url: str, error: str, started: float, attempts: int) -> FetchResult:
    return FetchResult(
        url=url,
        final_url=url,
        error=error,
        attempts=attempts,
        elapsed_ms=int((time.monotonic() - started) * 1000),
    )


def conditional_headers(state: FeedState | None) -> dict[str, str]:
    if state is None:
        return {}
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


async def fetch_all(
    settings: Settings,
    urls: Sequence[str],
    limits: FetchLimits,
    headers_for: dict[str, dict[str, str]] | None = None,
) -> list[FetchResult]:
    """Fetch many URLs concurrently within the global and per-host limits; order preserved."""
    headers_for = headers_for or {}
    gate = HostGate(settings.per_host_connections)
    async with make_client(settings) as client:
        return list(
            await asyncio.gather(
                *(fetch_one(client, u, limits, gate, headers_for.get(u)) for u in urls)
            )
        )


def fetch_all_sync(
    settings: Settings,
    urls: Iterable[str],
    limits: FetchLimits,
    headers_for: dict[str, dict[str, str]] | None = None,
) -> list[FetchResult]:
    """Blocking wrapper for callers that are not async (Prefect tasks, the CLI)."""
    return asyncio.run(fetch_all(settings, list(urls), limits, headers_for))
