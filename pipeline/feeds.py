"""Feeds of a night: which are due, fetched, read into entries, and recorded.

Recording is one transaction with the entry queue, so the new entries are the next run's to
finish should this one stop (``record_feeds``).
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb

from ingest.coverage import rollover
from ingest.extract import pool_workers
from ingest.faults import crash_point
from ingest.feed_parser import read_feed
from ingest.feed_schedule import apply_outcome, plan_fetch
from ingest.fetch import FetchLimits
from ingest.models import FeedEntry, FeedOutcome, FeedSpec, FeedState, FetchResult, RunSummary
from ingest.poll_schedule import entries_per_day
from ingest.session import by_host, fetch_all_sync, fetch_group
from ingest.settings import Settings
from pipeline.batch import fetch_log_row, release
from warehouse import store

log = logging.getLogger(__name__)


def fetch_due_feeds(
    settings: Settings,
    specs: Sequence[FeedSpec],
    states: Mapping[str, FeedState],
    now: datetime,
    advance: Callable[[int], None] = lambda _n: None,
    pool: Executor | None = None,
) -> list[FetchResult | str]:
    """Fetch the feeds that are due; a feed backing off gets the reason instead of a result.
    ``advance(n)``: n more feeds done (for a progress display).

    With a client of its own: the pages' session would keep the feeds' connections idle, and
    httpcore checks every idle connection at each request (a third of its CPU on the e2e
    benchmark). Many feeds are fetched in ``pool``'s processes instead (``in_workers``)."""
    plans = {s.url: plan_fetch(states.get(s.url), now, settings.force_refetch_after) for s in specs}
    due = [s.url for s in specs if plans[s.url].fetch]
    advance(len(specs) - len(due))  # backing off: nothing to wait for
    headers = {u: plans[u].headers for u in due}
    limits = FetchLimits.for_feeds(settings)
    if pool is not None and len(due) >= POOL_MIN_FEEDS:
        done = in_workers(settings, due, limits, headers, pool, advance)
        fetched = iter([done[u] for u in due])
    else:
        fetched = iter(
            fetch_all_sync(settings, due, limits, headers, on_done=lambda _result: advance(1))
        )
    return [next(fetched) if plans[s.url].fetch else plans[s.url].reason for s in specs]


# Feeds fetched in the flow process cost it about 1.2 ms of CPU each (httpx, its pool, the
# event loop), on the one core its GIL allows; from this many on, the extraction pool's
# processes, idle until the first pages, fetch them on every core.
POOL_MIN_FEEDS = 500


def in_workers(
    settings: Settings,
    urls: Sequence[str],
    limits: FetchLimits,
    headers: dict[str, dict[str, str]],
    pool: Executor,
    advance: Callable[[int], None],
) -> dict[str, FetchResult]:
    """``urls`` fetched in ``pool``'s processes: cut by host (``by_host``), so each host's
    politeness holds in one process, and the run's connections shared between them."""
    workers = getattr(pool, "workers", 0) or pool_workers(settings.extract_workers)
    share = settings.model_copy(
        update={"max_connections": max(1, settings.max_connections // workers)}
    )
    futures = []
    for group in by_host(urls, workers * GROUPS_PER_WORKER):
        future = pool.submit(fetch_group, share, group, limits, {u: headers[u] for u in group})
        future.add_done_callback(functools.partial(_advanced, advance, len(group)))
        futures.append(future)
    return {r.url: r for future in futures for r in future.result()}


GROUPS_PER_WORKER = 2


def _advanced(advance: Callable[[int], None], n: int, _future: object) -> None:
    advance(n)


def read_feeds(
    settings: Settings,
    specs: Sequence[FeedSpec],
    results: Sequence[FetchResult | str],
    states: Mapping[str, FeedState],
) -> tuple[list[FeedOutcome], list[FeedEntry]]:
    """Parse what changed; one log line per feed."""
    outcomes: list[FeedOutcome] = []
    entries: list[FeedEntry] = []
    for spec, result in zip(specs, results, strict=True):
        if isinstance(result, str):
            outcome = FeedOutcome(feed_url=spec.url, name=spec.name, status="skipped", error=result)
            parsed = None
        else:
            previous = states.get(spec.url)
            outcome, parsed = read_feed(
                spec.url,
                spec.name,
                result,
                settings.max_entries_per_feed,
                previous.body_hash if previous else None,
            )
            if parsed is not None and not outcome.failed:
                outcome = with_coverage(outcome, parsed.entries, previous)
        outcomes.append(outcome)
        if parsed is not None and not outcome.failed:
            entries.extend(parsed.entries)
        if outcome.failed or outcome.status == "skipped":
            log.warning(
                "feed %s: %s: %s (%d ms)",
                spec.name,
                outcome.status,
                outcome.error,
                outcome.elapsed_ms,
            )
        else:
            # A quiet feed's line is a debug line: at 10,000 feeds, one line per feed through
            # Prefect's console and API handlers cost 3.6 s of the flow process's CPU.
            log.log(
                logging.DEBUG if outcome.quiet else logging.INFO,
                "feed %s: %s, %d entries (%d ms)",
                spec.name,
                outcome.status,
                outcome.entries_seen,
                outcome.elapsed_ms,
            )
        if parsed is not None and parsed.skipped:
            log.warning(
                "feed %s: %d entries not kept: %s",
                spec.name,
                parsed.dropped,
                "; ".join(parsed.skipped[:3]) + ("; ..." if len(parsed.skipped) > 3 else ""),
            )
    log.info("feeds: %s", feed_tally(outcomes))
    return outcomes, entries


def feed_tally(outcomes: Sequence[FeedOutcome]) -> str:
    """The night's feeds by status, most common first: "9500 not_modified, 500 ok"."""
    counts = Counter(o.status for o in outcomes)
    return ", ".join(f"{n} {status}" for status, n in counts.most_common()) or "none"


def with_coverage(
    outcome: FeedOutcome, entries: Sequence[FeedEntry], previous: FeedState | None
) -> FeedOutcome:
    """The outcome with what the fetch listed and whether the feed's window rolled over
    since the last one (logged: those entries are gone from the feed)."""
    window = rollover(entries, previous)
    if window.overflowed:
        missed = "an unknown number" if window.missed is None else f"about {window.missed}"
        log.warning(
            "feed %s: every entry is new since the last fetch: %s may have scrolled out unseen",
            outcome.name,
            missed,
        )
    return outcome.model_copy(
        update={
            "listed": tuple(e.canonical_url for e in entries),
            "overflowed": window.overflowed,
            "missed_estimate": window.missed,
            "entries_per_day": entries_per_day(entries),
        }
    )


# Feeds are read a chunk at a time, each chunk recorded before the next is fetched: what a
# night holds per feed (its plan, state, fetch result and full outcome) is one chunk's worth,
# not the feed list's. At 10,000 feeds in one piece the flow process grew 146 MB in the feed
# phase (36 MB at 1,000).
FEED_CHUNK = 2000


@dataclass
class FeedNight:
    """What the night's feeds gave, chunk after chunk: the new entries (one per canonical URL
    across chunks), the updated ones, each feed's outcome held compactly (without the URLs
    it listed and its attempts), and how many entries the feeds listed."""

    fresh: list[FeedEntry] = field(default_factory=list)
    updated: list[FeedEntry] = field(default_factory=list)
    outcomes: list[FeedOutcome] = field(default_factory=list)
    entries_seen: int = 0
    _taken: set[str] = field(default_factory=set)

    def unseen(self, entries: Sequence[FeedEntry]) -> list[FeedEntry]:
        """The entries no earlier chunk selected (two feeds may list one article)."""
        return [e for e in entries if e.canonical_url not in self._taken]

    def add(
        self,
        outcomes: Sequence[FeedOutcome],
        seen: int,
        fresh: Sequence[FeedEntry],
        updated: Sequence[FeedEntry],
    ) -> None:
        self.outcomes += [o.model_copy(update={"listed": (), "attempt_log": ()}) for o in outcomes]
        self.entries_seen += seen
        self.fresh += fresh
        self.updated += updated
        self._taken.update(e.canonical_url for e in (*fresh, *updated))


def count_feeds(summary: RunSummary, outcomes: Sequence[FeedOutcome]) -> None:
    """The feeds' part of the run's summary."""
    summary.feeds_failed = sum(o.failed for o in outcomes)
    summary.feeds_skipped = sum(o.status == "skipped" for o in outcomes)
    summary.feeds_ok = len(outcomes) - summary.feeds_failed - summary.feeds_skipped
    summary.failed_feeds = [
        f"{o.name}: {o.error}" for o in outcomes if o.failed or o.status == "skipped"
    ]
    summary.feeds_rolled_over = sum(o.overflowed for o in outcomes)
    summary.entries_recovered = sum(o.recovered for o in outcomes)
    summary.entries_missed = sum(
        max((o.missed_estimate or 0) - o.recovered, 0) for o in outcomes if o.overflowed
    )


def record_feeds(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str,
    now: datetime,
    results: list[FetchResult | str],
    outcomes: Sequence[FeedOutcome],
    states: Mapping[str, FeedState],
    fresh: Sequence[FeedEntry],
) -> None:
    """Feed states and the entry queue, in the transaction that makes the new entries the next
    run's to finish should this one stop: a run calls it for each chunk of feeds once read,
    before any page is stored. The feed bodies are let go then (``release``)."""
    store.log_fetches(
        con, [fetch_log_row(run_id, r, now) for r in results if not isinstance(r, str)]
    )
    new_per_feed: dict[str, int] = {}
    for entry in fresh:
        new_per_feed[entry.feed_url] = new_per_feed.get(entry.feed_url, 0) + 1
    store.record_feeds_and_queue(
        con,
        [
            (
                o,
                apply_outcome(
                    states.get(o.feed_url),
                    o,
                    now,
                    settings.failure_backoff_after,
                    timedelta(seconds=settings.poll_min_interval),
                ),
                new_per_feed.get(o.feed_url, 0),
            )
            for o in outcomes
        ],
        fresh,
        datetime.now(UTC),
        run_id,
    )
    release(results)
    crash_point("feeds-recorded")
