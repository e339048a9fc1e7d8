"""Politeness towards each host: a cap on requests in flight, spacing between their starts, and
the delay before a retry (Retry-After honoured, else exponential backoff with jitter)."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({429, 502, 503, 504})


# Robots files are small; a larger one is a misconfigured server, and reading it would cost
# more than the politeness it buys.
MAX_ROBOTS_BYTES = 512 * 1024


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
