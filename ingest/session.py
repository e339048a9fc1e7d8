"""A run's fetching from synchronous code: one event loop in a thread of its own and one client
for the whole run, so connections, robots.txt and host verdicts carry across batches."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ingest.fetch import Fetcher, FetchLimits, make_client
from ingest.models import FetchResult
from ingest.settings import Settings
from ingest.waiting import result_within, wait_until

T = TypeVar("T")


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
        armed = [byte_budget is not None]
        if byte_budget is not None:
            self._end_at_budget(futures, byte_budget, armed)
        wait_until(lambda: all(f.done() for f in futures), patience)
        armed[0] = False  # what is still in flight now is late, never cancelled afterwards
        done = []
        for url, future in started:
            if future.cancelled():
                self._unfetched.append(url)
            elif future.done():
                done.append(future.result())
            else:
                self._late.append(future)
        return done + self._take_late(wait=False)

    @staticmethod
    def _end_at_budget(
        futures: list[concurrent.futures.Future[FetchResult]], byte_budget: int, armed: list[bool]
    ) -> None:
        """Cancel the batch's other requests as the body that reaches the budget arrives (in
        the loop's thread, as it arrives: a poll would let more bodies in between), while
        ``armed``: once the batch is handed back, its late requests are left to finish."""
        arrived = 0

        def tally(future: concurrent.futures.Future[FetchResult]) -> None:
            nonlocal arrived
            if not armed[0] or future.cancelled() or future.exception() is not None:
                return
            arrived += len(future.result().content)
            if arrived >= byte_budget:
                for other in futures:
                    other.cancel()  # a request in flight is dropped; a done one is kept

        for future in futures:
            future.add_done_callback(tally)

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


def by_host(urls: Sequence[str], groups: int) -> list[list[str]]:
    """``urls`` cut into at most ``groups`` groups, each host's URLs in one group and the
    groups about even in size (the busiest hosts placed first, each in the smallest group).
    Fetched in separate processes, each group keeps its own per-host limits: a host never
    sees more than one process's share."""
    hosts: dict[str, list[str]] = {}
    for url in urls:
        hosts.setdefault((urlsplit(url).hostname or "").lower(), []).append(url)
    cut: list[list[str]] = [[] for _ in range(max(1, min(groups, len(hosts))))]
    for host_urls in sorted(hosts.values(), key=len, reverse=True):
        min(cut, key=len).extend(host_urls)
    return [group for group in cut if group]


def fetch_group(
    settings: Settings,
    urls: Sequence[str],
    limits: FetchLimits,
    headers_for: dict[str, dict[str, str]] | None = None,
) -> list[FetchResult]:
    """``fetch_all_sync`` in a pool worker, on a share of the run's connections."""
    return fetch_all_sync(settings, urls, limits, headers_for)


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
