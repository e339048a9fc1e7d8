"""A feed's window rolling over between two fetches: told from what the feed listed last time,
recorded per run and feed with an estimate of the entries missed (issue 19, point 1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from loopback import serve
from publishers import Publisher

from ingest.coverage import rollover
from ingest.models import FeedEntry, FeedSpec, FeedState
from ingest.settings import Settings
from pipeline.batch import select_new
from pipeline.feeds import fetch_due_feeds, read_feeds, record_feeds
from pipeline.gaps import count_recovered, fill_gaps
from warehouse import store

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def entry(i: int, at: datetime | None) -> FeedEntry:
    url = f"https://news.example/{i}"
    return FeedEntry(
        feed_url="https://news.example/feed",
        entry_id=url,
        url=url,
        canonical_url=url,
        published_at=at,
    )


def last_fetch(*listed: int, at: datetime = NOW) -> FeedState:
    urls = tuple(f"https://news.example/{i}" for i in listed)
    return FeedState(feed_url="https://news.example/feed", last_success_at=at, listed=urls)


def test_a_feed_fetched_for_the_first_time_never_rolled_over() -> None:
    entries = [entry(i, NOW + i * MINUTE) for i in range(10)]
    assert not rollover(entries, None).overflowed
    assert not rollover(entries, FeedState(feed_url="https://news.example/feed")).overflowed


def test_every_entry_new_and_newer_than_the_last_fetch_is_a_rollover_with_an_estimate() -> None:
    # Ten entries a minute apart, the oldest 20 minutes after the last fetch: about twenty
    # more were published in between and scrolled out.
    entries = [entry(100 + i, NOW + (20 + i) * MINUTE) for i in range(10)]
    window = rollover(entries, last_fetch(*range(10)))
    assert window.overflowed and window.missed == 20


def test_an_entry_still_listed_from_last_time_means_the_window_held() -> None:
    entries = [entry(i, NOW + (20 + i) * MINUTE) for i in range(9, 19)]
    assert rollover(entries, last_fetch(*range(10))) == rollover([], None)


def test_a_reordered_or_re_dated_feed_is_no_rollover() -> None:
    redated = [entry(i, NOW + (60 + i) * MINUTE) for i in reversed(range(10))]
    assert not rollover(redated, last_fetch(*range(10))).overflowed


def test_new_entries_dated_before_the_last_fetch_did_not_scroll_past_it() -> None:
    entries = [entry(100 + i, NOW - (i + 1) * MINUTE) for i in range(10)]
    assert not rollover(entries, last_fetch(*range(10))).overflowed


def test_undated_entries_roll_over_on_continuity_alone_without_an_estimate() -> None:
    window = rollover([entry(100 + i, None) for i in range(10)], last_fetch(*range(10)))
    assert window.overflowed and window.missed is None


def night(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    specs: FeedSpec | list[FeedSpec],
    run: str,
) -> None:
    """The feeds half of a night, as the flow runs it, gap fill included (pages are not the
    point here)."""
    specs = specs if isinstance(specs, list) else [specs]
    now = datetime.now(UTC)
    store.register_feeds(con, specs)
    states = store.feed_states(con, [s.url for s in specs])
    results = fetch_due_feeds(settings, specs, states, now)
    outcomes, entries = read_feeds(settings, specs, results, states)
    recovered = fill_gaps(settings, specs, outcomes, entries, states, now)
    queued = store.queued_urls(con, [e.canonical_url for e in recovered])  # the night carries them
    fresh, _updated = select_new(con, [*entries, *recovered])
    fresh = [e for e in fresh if e.canonical_url not in queued]
    outcomes = count_recovered(outcomes, fresh)
    record_feeds(con, settings, run, now, results, outcomes, states, fresh)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    from warehouse.db import connect

    return connect(tmp_path / "w.duckdb")


def test_runs_record_a_rollover_once_and_the_feed_counts_it(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    section = Publisher()
    with serve({"/feed.xml": section.feed}) as (base, _stats):
        spec = FeedSpec(url=f"{base}/feed.xml", name="Section")
        start = datetime.now(UTC)
        section.publish(10, start - 10 * MINUTE, MINUTE)
        night(con, settings, spec, "r1")  # first fetch: never a rollover
        # Thirty more, a minute apart, all after the first night: twenty scroll out unseen.
        section.publish(30, start + MINUTE, MINUTE)
        night(con, settings, spec, "r2")
        section.publish(5, start + 31 * MINUTE, MINUTE)  # polled often enough: overlap
        night(con, settings, spec, "r3")
    rows = con.execute(
        "SELECT run_id, overflowed, missed_estimate, entries_seen FROM run_feeds ORDER BY run_id"
    ).fetchall()
    assert rows == [("r1", False, None, 10), ("r2", True, 20, 10), ("r3", False, None, 10)]
    health = con.execute("SELECT rollovers, last_rollover_at IS NOT NULL FROM feed_health")
    assert health.fetchall() == [(1, True)]
    columns, feeds = store.feed_health(con)
    assert dict(zip(columns, feeds[0], strict=True))["rollovers"] == 1
