"""Politeness towards each host: a cap on requests in flight, spacing between their starts, and
the delay before a retry (Retry-After honoured, else exponential backoff with jitter)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({429, 502, 503, 504})


# Robots files are small; a larger one is a misconfigured server, and reading it would cost
# more than the politeness it buys.
MAX_ROBOTS_BYTES = 512 * 1024


class Slots:
    """The run-wide cap on requests in flight, handed out first come, first served, except
    that a slot freed by a request to a host goes to a request of that host waiting for one.

    That request then finds the connection just freed still open. Given to the next host in
    line, the slot would have the client's pool close that connection to open another (at
    250 hosts and 16 slots: a new connection per request, a third of the CPU of a 304)."""

    def __init__(self, total: int) -> None:
        self.free = total
        self._line: deque[tuple[str, asyncio.Future[None]]] = deque()
        self._by_host: dict[str, deque[asyncio.Future[None]]] = {}

    async def take(self, host: str) -> None:
        if self.free > 0 and not self._line:
            self.free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._line.append((host, waiter))
        self._by_host.setdefault(host, deque()).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give(host)  # handed a slot as it was cancelled: hand it on
            raise

    def give(self, host: str) -> None:
        """A slot freed by a request to ``host``."""
        same = self._by_host.get(host)
        while same:
            waiter = same.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._by_host.pop(host, None)
        while self._line:
            _host, waiter = self._line.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1


@dataclass
class HostGate:
    """At most ``per_host`` requests in flight per host and ``total`` in all (``Slots``),
    starts to one host spaced by ``delay`` seconds.

    The run-wide cap is held here, not left to the HTTP client's pool: httpcore looks over
    every queued request each time a connection frees up, so 500 requests queued behind 16
    connections (two per host on 250 hosts) cost it 4 ms of CPU per request.

    The spacing runs from the moment a request got its slot, not from when it was planned,
    so neither a busy event loop nor a wait for a slot lets the next one out early."""

    per_host: int
    delay: float = 0.0
    total: int = 16
    # Spacing a host asked for itself (robots.txt Crawl-delay), when longer than ``delay``.
    host_delays: dict[str, float] = field(default_factory=dict)
    _sems: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _turns: dict[str, asyncio.Lock] = field(default_factory=dict)
    _last_start: dict[str, float] = field(default_factory=dict)
    _slots: Slots | None = None
    _queued: dict[str, int] = field(default_factory=dict)  # per host, waiting for a place
    _kept: dict[str, int] = field(default_factory=dict)  # per host, slots kept for them
    starts: dict[str, list[float]] = field(default_factory=dict)  # per host, when let go

    def semaphore(self, host: str) -> asyncio.Semaphore:
        if host not in self._sems:
            self._sems[host] = asyncio.Semaphore(self.per_host)
        return self._sems[host]

    def delay_for(self, host: str) -> float:
        return max(self.delay, self.host_delays.get(host, 0.0))

    @contextlib.asynccontextmanager
    async def turn(self, host: str) -> AsyncIterator[None]:
        """A request's way out to ``host``: its place among the host's requests in flight,
        its spacing from the host's last start, and a slot, held until the request is done.

        A finished request whose host has another request waiting for its place keeps its
        slot for that one (``_kept``), as ``Slots.give`` does for one waiting for a slot: the
        host's connection stays in use instead of being closed to make room."""
        if self._slots is None:
            self._slots = Slots(self.total)
        slots, place = self._slots, self.semaphore(host)
        self._queued[host] = self._queued.get(host, 0) + 1
        try:
            await place.acquire()
        except BaseException:
            self._queued[host] -= 1
            while self._kept.get(host, 0) > self._queued[host]:
                self._kept[host] -= 1  # kept for a request that is gone
                slots.give(host)
            raise
        self._queued[host] -= 1
        try:
            if self._kept.get(host, 0):
                self._kept[host] -= 1
            else:
                await self._wait_turn(host, slots)
            try:
                yield
            finally:
                if self.delay_for(host) <= 0 and self._queued[host] > self._kept.get(host, 0):
                    self._kept[host] = self._kept.get(host, 0) + 1
                else:
                    slots.give(host)
        finally:
            place.release()

    async def _wait_turn(self, host: str, slots: Slots) -> None:
        """Returns holding a slot, at least ``delay`` after the host's last start."""
        delay = self.delay_for(host)
        if delay <= 0:
            await slots.take(host)
            return
        async with self._turns.setdefault(host, asyncio.Lock()):
            last = self._last_start.get(host)
            if last is not None:
                while (left := last + delay - time.monotonic()) > 0:
                    await asyncio.sleep(left)
            await slots.take(host)
            now = time.monotonic()
            self._last_start[host] = now
            self.starts.setdefault(host, []).append(now)


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
