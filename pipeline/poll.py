"""An intra-day poll: the feeds that are due read, their new entries queued for the nightly run.

A poll fetches no page and extracts nothing, so it costs seconds; the nightly run takes the
queue with the entries it finds itself. It shares the nightly run's lock, and holds it twice,
each time for a moment: to read the feeds' records (``begin_poll``) and to write what came of
them (``finish_poll``); the feeds are fetched between, unlocked. A poll that finds the lock
held gives up at once: the run holding it reads the feeds anyway. A feed whose record changed
while the poll fetched it (a run read it in between) is left as that run wrote it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from duckdb import DuckDBPyConnection

from ingest.models import FeedEntry, FeedOutcome, FeedSpec, FeedState, FetchResult, RunSummary
from ingest.poll_schedule import poll_due
from ingest.settings import Settings
from pipeline.batch import select_new
from pipeline.feeds import count_feeds, fetch_due_feeds, read_feeds, record_feeds
from pipeline.gaps import count_recovered, fill_gaps
from pipeline.run import new_run_id
from warehouse import store
from warehouse.db import connect
from warehouse.lock import RunLocked, run_lock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Poll:
    """A poll under way: its id and start, the feeds due and their records as read."""

    run_id: str
    now: datetime
    feeds_total: int
    due: tuple[FeedSpec, ...]
    states: dict[str, FeedState]
    started: float


# The feed stages a poll runs, as ``run_poll`` takes them.
Fetch = Callable[
    [Settings, Sequence[FeedSpec], dict[str, FeedState], datetime], list[FetchResult | str]
]
Read = Callable[
    [Settings, Sequence[FeedSpec], Sequence[FetchResult | str], dict[str, FeedState]],
    tuple[list[FeedOutcome], list[FeedEntry]],
]
Fill = Callable[
    [
        Settings,
        Sequence[FeedSpec],
        Sequence[FeedOutcome],
        Sequence[FeedEntry],
        Mapping[str, FeedState],
        datetime,
    ],
    list[FeedEntry],
]


def run_poll(
    settings: Settings,
    specs: Sequence[FeedSpec],
    every_feed: bool = False,
    fetch: Fetch = fetch_due_feeds,
    read: Read = read_feeds,
    fill: Fill = fill_gaps,
) -> RunSummary:
    """One poll, start to end. ``fetch``, ``read`` and ``fill`` are the feed stages (fill: the
    gaps of feeds that rolled over, from news sitemaps): the plain functions
    for ``newsdesk poll`` (a poll run from cron pays no Prefect server start, about 10 s), the
    flow's tasks for the deployment (``flows/poll.py``). A poll that finds the warehouse held,
    at its start or its end, gives up with the one line that says who holds it."""
    try:
        started = begin_poll(settings, specs, every_feed)
        results = fetch(settings, started.due, started.states, started.now)
        outcomes, entries = read(settings, started.due, results, started.states)
        recovered = fill(settings, started.due, outcomes, entries, started.states, started.now)
        summary = finish_poll(settings, started, results, outcomes, [*entries, *recovered])
    except RunLocked as exc:
        log.info("poll skipped: %s", exc.busy)
        return RunSummary(run_id="", kind="poll", gave_up=f"poll skipped: {exc.busy}")
    log.info(
        "poll %s: %d feeds read, %d new entries queued",
        summary.run_id,
        summary.feeds_ok + summary.feeds_failed,
        summary.new_entries,
    )
    return summary


@contextmanager
def _warehouse(settings: Settings, run_id: str) -> Iterator[DuckDBPyConnection]:
    """The warehouse under the run lock, for a moment: RunLocked at once if a run holds it."""
    with run_lock(settings.db, run_id, 0):
        con = connect(settings.db)
        try:
            yield con
        finally:
            con.close()


def begin_poll(settings: Settings, specs: Sequence[FeedSpec], every_feed: bool) -> Poll:
    """The feeds due for a poll (``every_feed``: all of them) with their records, read under
    the run lock (RunLocked: another run holds the warehouse)."""
    now = datetime.now(UTC)
    run_id = "poll-" + new_run_id(now)
    with _warehouse(settings, run_id) as con:
        store.register_feeds(con, specs)
        states = store.feed_states(con, [s.url for s in specs])
    due = tuple(s for s in specs if every_feed or poll_due(states.get(s.url), now))
    log.info("poll: %d of %d feeds due", len(due), len(specs))
    return Poll(run_id, now, len(specs), due, states, time.monotonic())


def finish_poll(
    settings: Settings,
    poll: Poll,
    results: list[FetchResult | str],
    outcomes: Sequence[FeedOutcome],
    entries: Sequence[FeedEntry],
) -> RunSummary:
    """Record the poll's feeds and queue their new entries (not stored, not queued yet), under
    the run lock; the poll itself recorded in ``runs`` as kind ``poll``. A feed whose record
    changed since ``begin_poll`` read it is left as the run that changed it wrote it."""
    summary = RunSummary(run_id=poll.run_id, kind="poll", feeds_total=poll.feeds_total)
    with _warehouse(settings, poll.run_id) as con:
        current = store.feed_states(con, [s.url for s in poll.due])
        kept = [i for i, s in enumerate(poll.due) if current.get(s.url) == poll.states.get(s.url)]
        feeds = {poll.due[i].url for i in kept}
        fresh, _updated = select_new(con, [e for e in entries if e.feed_url in feeds])
        queued = store.queued_urls(con, [e.canonical_url for e in fresh])
        fresh = [e for e in fresh if e.canonical_url not in queued]
        outcomes = count_recovered([outcomes[i] for i in kept], fresh)
        record_feeds(
            con,
            settings,
            poll.run_id,
            poll.now,
            [results[i] for i in kept],
            outcomes,
            poll.states,
            fresh,
        )
        count_feeds(summary, outcomes)
        summary.feeds_skipped += poll.feeds_total - len(outcomes)
        summary.entries_seen = sum(o.entries_seen for o in outcomes)
        summary.new_entries = len(fresh)
        summary.seconds = round(time.monotonic() - poll.started, 2)
        store.record_poll(con, poll.run_id, poll.now, datetime.now(UTC), summary.counts())
    return summary
