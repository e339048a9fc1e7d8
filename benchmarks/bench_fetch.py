"""Fetch stage: 500 pages from loopback hosts that answer after 50 ms, against the time the
concurrency limits allow (pages × delay / requests in flight)."""

from __future__ import annotations

import time
from typing import Any

from benchmarks.sites import SiteSpec, serve_hosts_process
from ingest.fetch import FetchLimits
from ingest.session import fetch_all_sync
from ingest.settings import Settings

PAGES = 500
DELAY = 0.05
HOSTS = 8


def run(repeats: int = 3) -> dict[str, Any]:
    spec = SiteSpec(delay=DELAY)
    with serve_hosts_process(spec, HOSTS) as (bases, hits):
        settings = Settings(
            allow_hosts=[b.split("//")[1].split(":")[0] for b in bases],
            max_connections=16,
            per_host_connections=2,
        )
        in_flight = min(settings.max_connections, settings.per_host_connections * HOSTS)
        urls = [f"{bases[i % HOSTS]}/page/{i % 50}/{i}.html" for i in range(PAGES)]
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            results = fetch_all_sync(settings, urls, FetchLimits.for_pages(settings))
            times.append(time.perf_counter() - started)
            assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
        robots = hits()["/robots.txt"]
    times.sort()
    ideal = PAGES * DELAY / in_flight
    median = times[len(times) // 2]
    return {
        "pages": PAGES,
        "hosts": HOSTS,
        "in_flight": in_flight,
        "delay_ms": DELAY * 1000,
        "ideal_s": ideal,
        "median_s": median,
        "ratio": median / ideal,
        "runs": times,
        "robots_requests": robots,
    }


def report(r: dict[str, Any]) -> list[str]:
    verdict = "met" if r["ratio"] <= 1.5 else "NOT met"
    return [
        "## Fetching (issue 3)",
        "",
        f"{r['pages']} pages from {r['hosts']} loopback hosts that answer every request after "
        f"{r['delay_ms']:.0f} ms, default limits (16 in flight, 2 per host, robots.txt on); the "
        "server runs in its own process.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| time the limits allow ({r['pages']} × {r['delay_ms']:.0f} ms / {r['in_flight']}) "
        f"| {r['ideal_s']:.2f} s |",
        f"| measured (median of {len(r['runs'])}) | {r['median_s']:.2f} s |",
        f"| ratio (target ≤ 1.5) | **{r['ratio']:.2f}** ({verdict}) |",
        f"| robots.txt requests | {r['robots_requests']} ({r['hosts']} hosts × "
        f"{len(r['runs'])} runs) |",
    ]


if __name__ == "__main__":
    print(run())
