"""The night's overlap: three batches in flight, stored in order.

The next batch is fetched (I/O, in a thread) and this one extracted (CPU, in the pool) while
the previous one is deduplicated and stored (in this process). Batches are stored in order, so
each is checked against all before it. A batch is what arrived within the fetch's patience: a
slow host's pages join a later batch (or the tail, ``late``) instead of holding the pages of
every other host.

What each step runs on is the caller's: ``Stages`` holds the calls (plain functions in a test,
Prefect tasks in ``flows/nightly.py``), so the order is testable without Prefect.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ingest.faults import crash_point
from ingest.models import ExtractedPage, FeedEntry, FetchResult
from pipeline.batch import BatchResult, release
from pipeline.plan import BATCH_SIZE, BatchPlan
from pipeline.run import Tally
from pipeline.runtime import trim_heap

log = logging.getLogger(__name__)

# Originals stored between two updates of the BM25 index during a run: each update costs about
# 40 ms besides its articles, and the run's end has to index whatever is left.
INDEX_EVERY = 400

Extracted = list[ExtractedPage | str]


@dataclass
class Stages:
    """The steps of a batch, each started by the schedule and run wherever the caller put it.

    - ``fetch(entries)`` starts fetching; the call it returns waits for the pages;
    - ``extract(pages)`` starts extracting; the call it returns waits for the results;
    - ``store(entries, pages, extracted)`` records and stores one batch;
    - ``store_seeds()`` stores the seeds not stored yet (once, before the first batch);
    - ``index()`` brings the search index up to date (why not, when it cannot);
    - ``unfetched()`` and ``late(n)``: what the fetching gave back at the byte budget, and
      slow pages that arrived since (none without a fetch session).
    """

    fetch: Callable[[list[FeedEntry]], Callable[[], list[FetchResult]]]
    extract: Callable[[list[FetchResult]], Callable[[], Extracted]]
    store: Callable[[Sequence[FeedEntry], list[FetchResult], Extracted], BatchResult]
    store_seeds: Callable[[], None]
    index: Callable[[], str | None]
    unfetched: Callable[[], list[str]] = lambda: []
    late: Callable[[int], list[FetchResult]] = lambda _n: []
    advance: Callable[[int], None] = lambda _n: None


def store_in_batches(
    entries: Sequence[FeedEntry],
    plan: BatchPlan,
    stages: Stages,
    tally: Tally,
    before_storing: Callable[[], None] = lambda: None,
) -> None:
    """Fetch, extract, dedupe, tag and store ``entries`` batch by batch, counted in ``tally``.
    ``before_storing`` runs once the first batch is being fetched, before anything is stored.

    Three batches are in flight: one being fetched, the one before it being extracted, the one
    before that being stored."""
    batches = _Batches(entries, plan, stages, tally)
    before_storing()
    pending = None
    for pages in batches.arrived():
        started = time.monotonic()
        ready = stages.extract([p for p in pages if p.ok])
        if pending is not None:
            batches.store(*pending, last_but_one=batches.upcoming is None)
        pending = (pages, ready, started)
    if pending is not None:
        batches.store(*pending)
    stages.store_seeds()


class _Batches:
    """The batches of one ``store_in_batches``: the next one's fetch starts as soon as the
    current one's pages are in."""

    def __init__(
        self, entries: Sequence[FeedEntry], plan: BatchPlan, stages: Stages, tally: Tally
    ) -> None:
        self.entry_for = {e.url: e for e in entries}
        self.plan, self.stages, self.tally = plan, stages, tally
        self.index = _Indexer(stages.index)
        self.upcoming = stages.fetch(plan.take()) if plan else None

    def arrived(self) -> Iterator[list[FetchResult]]:
        """Each batch's pages as they arrive, then the slow pages still out, a batch at a
        time."""
        plan, stages = self.plan, self.stages
        while self.upcoming is not None:
            pages = self.upcoming()
            crash_point("pages-fetched")
            plan.fetched(pages)
            plan.put_back([self.entry_for[u] for u in stages.unfetched()])
            self.upcoming = stages.fetch(plan.take()) if plan else None
            yield pages
        while late := stages.late(BATCH_SIZE):
            yield late

    def store(
        self,
        pages: list[FetchResult],
        ready: Callable[[], Extracted],
        started: float,
        last_but_one: bool = False,
    ) -> None:
        self.stages.store_seeds()
        batch = [self.entry_for[p.url] for p in pages]
        result = self.stages.store(batch, pages, ready())
        self.index.stored(result.stored, last_but_one)
        self.tally.add(result, sum(p.ok for p in pages))
        self.stages.advance(len(batch))
        log.info(
            "batch: %d pages, %d stored, %d duplicates, %d failed (%.1f s)",
            len(pages),
            result.stored,
            result.duplicates,
            result.failed,
            time.monotonic() - started,
        )
        release(pages)
        trim_heap()


class _Indexer:
    """Keeps the search index up to date during the run: every ``INDEX_EVERY`` originals, and
    while the pool extracts the last batch, so the run's end is left with that batch alone. A
    missing extension is reported at the end, once."""

    def __init__(self, index: Callable[[], str | None]) -> None:
        self._index = index
        self._unindexed = 0
        self._searchable = True

    def stored(self, count: int, last_but_one: bool) -> None:
        self._unindexed += count
        if not (self._searchable and self._unindexed):
            return
        if self._unindexed >= INDEX_EVERY or last_but_one:
            reason = self._index()
            if reason:
                log.info("full-text index: %s (tried again at the end of the run)", reason)
            self._searchable, self._unindexed = reason is None, 0
