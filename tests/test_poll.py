"""Intra-day polling (issue 19, point 3): which feeds a poll reads and how often, what it
queues, and how it shares the run lock, against loopback publishers and real DuckDB files."""

from __future__ import annotations

import io
from collections.abc import Sequence
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from loopback import serve
from publishers import Publisher
from test_lock import hold_in_child

from ingest.models import FeedSpec, FeedState
from ingest.poll_schedule import NIGHT, entries_per_day, poll_due, poll_interval
from ingest.settings import Settings
from pipeline.feeds import fetch_due_feeds
from pipeline.poll import run_poll
from warehouse.db import connect

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
TEN_MIN = timedelta(minutes=10)


def test_a_busy_feed_is_polled_at_half_its_turnover_and_a_quiet_one_left_to_the_night() -> None:
    busy = poll_interval(
        per_day=1440, listed=10, rolled_over_after=None, previous=None, minimum=MINUTE
    )
    assert busy.every == timedelta(minutes=5)
    assert busy.reason == "lists 10, about 1.44e+03 a day: the list turns over in 10 min"
    quiet = poll_interval(
        per_day=5, listed=10, rolled_over_after=None, previous=None, minimum=MINUTE
    )
    assert quiet.every is None and "nightly is enough" in quiet.reason
    # Never under the minimum, however fast the feed.
    assert poll_interval(14400, 10, None, None, TEN_MIN).every == TEN_MIN


def test_a_roll_over_shortens_the_interval_even_when_the_rate_looked_slow() -> None:
    """The rate seen in the list said nightly would do; the list rolled over within 8 hours."""
    seen = poll_interval(
        per_day=5, listed=10, rolled_over_after=timedelta(hours=8), previous=None, minimum=MINUTE
    )
    assert seen.every == timedelta(hours=4)


def test_undated_feeds_are_polled_once_they_rolled_over_and_keep_that_interval() -> None:
    assert poll_interval(None, 10, None, None, MINUTE).every is None
    rolled = poll_interval(None, 10, timedelta(hours=6), None, MINUTE)
    assert rolled.every == timedelta(hours=3)
    assert poll_interval(None, 10, None, rolled.every, MINUTE).every == timedelta(hours=3)


def test_a_feed_is_due_when_never_read_or_its_interval_passed() -> None:
    read = FeedState(feed_url="f", last_success_at=NOW, poll_every=TEN_MIN)
    assert poll_due(None, NOW)
    assert poll_due(FeedState(feed_url="f"), NOW)
    assert not poll_due(read, NOW + 9 * MINUTE)
    assert poll_due(read, NOW + TEN_MIN)
    assert not poll_due(read.model_copy(update={"poll_every": None}), NOW + NIGHT)


def test_the_rate_is_what_the_entries_dates_show() -> None:
    from test_coverage import entry

    assert entries_per_day([entry(i, NOW + i * MINUTE) for i in range(11)]) == 1440
    assert entries_per_day([entry(1, NOW), entry(2, None)]) is None
    assert entries_per_day([entry(1, NOW), entry(2, NOW)]) is None


@pytest.fixture
def sections() -> tuple[Publisher, Publisher]:
    """A busy section (a story a minute) and a quiet one (one a day), dated up to now."""
    busy, quiet = Publisher(section="busy"), Publisher(section="quiet")
    start = datetime.now(UTC)
    busy.publish(10, start - 10 * MINUTE, MINUTE)
    quiet.publish(10, start - timedelta(days=10), timedelta(days=1))
    return busy, quiet


def poll_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"poll_min_interval": 60.0})


def feeds_table(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT name, poll_every, entries_per_day IS NOT NULL, poll_reason FROM feed_health"
            " ORDER BY name"
        ).fetchall()
    finally:
        con.close()


def test_polls_read_the_feeds_that_need_it_and_queue_only_new_entries(
    settings: Settings, sections: tuple[Publisher, Publisher], capsys
) -> None:
    busy, quiet = sections
    settings = poll_settings(settings)
    with serve({"/busy.xml": busy.feed, "/quiet.xml": quiet.feed}) as (base, stats):
        specs = [
            FeedSpec(url=f"{base}/busy.xml", name="Busy"),
            FeedSpec(url=f"{base}/quiet.xml", name="Quiet"),
        ]
        first = run_poll(settings, specs)  # never read: both
        assert (first.kind, first.feeds_ok, first.new_entries) == ("poll", 2, 20)
        assert first.run_id.startswith("poll-")
        again = run_poll(settings, specs)  # read a moment ago: none is due
        assert (again.feeds_ok, again.feeds_skipped, again.new_entries) == (0, 2, 0)
        busy.publish(3, datetime.now(UTC), MINUTE)
        forced = run_poll(settings, specs, every_feed=True)
        assert (forced.feeds_ok, forced.new_entries) == (2, 3)  # queued ones are not new again
    assert stats.hits["/busy.xml"] == 2 and stats.hits["/quiet.xml"] == 2
    (busy_row, quiet_row) = feeds_table(settings.db)
    assert busy_row[:3] == ("Busy", timedelta(minutes=5), True)
    assert "the list turns over in 10 min" in busy_row[3]
    assert quiet_row[:3] == ("Quiet", None, True) and "nightly is enough" in quiet_row[3]
    con = duckdb.connect(str(settings.db), read_only=True)
    queued = con.execute("SELECT count(*), count(DISTINCT run_id) FROM entry_queue").fetchone()
    runs = con.execute(
        "SELECT kind, status, feeds_ok, new_entries FROM runs ORDER BY started_at"
    ).fetchall()
    con.close()
    assert queued == (23, 2)
    assert runs == [
        ("poll", "completed", 2, 20),
        ("poll", "completed", 0, 0),
        ("poll", "completed", 2, 3),
    ]
    from cli.main import main

    assert main(["status", "--db", str(settings.db)]) == 0
    out = capsys.readouterr().out
    assert "Polls since the last run: 3 (4 feed reads, 23 entries queued, 0 recovered" in out
    assert "poll-" not in out  # polls are not runs in the runs table


def test_a_poll_gives_up_quietly_when_a_run_holds_the_warehouse(
    settings: Settings, sections: tuple[Publisher, Publisher], tmp_path: Path
) -> None:
    from cli.main import main

    busy, _ = sections
    with serve({"/busy.xml": busy.feed}) as (base, stats):
        feeds = tmp_path / "feeds.toml"
        feeds.write_text(f'[[feeds]]\nurl = "{base}/busy.xml"\nname = "Busy"\n')
        command = [
            "poll",
            "--feeds",
            str(feeds),
            "--db",
            str(settings.db),
            "--allow-host",
            "127.0.0.1",
        ]

        def poll() -> tuple[int, str]:
            out = io.StringIO()
            with redirect_stdout(out):
                code = main(command)
            return code, out.getvalue()

        child = hold_in_child(settings.db)
        try:
            assert poll() == (0, "newsdesk: poll skipped: held-by-test holds the warehouse\n")
        finally:
            child.kill()
            child.wait()
        assert stats.hits["/busy.xml"] == 0
        code, out = poll()
    assert code == 0 and out.startswith("poll poll-")
    assert "1 of 1 feeds read (0 failed), 10 new entries queued" in out


def test_a_run_that_takes_the_lock_while_the_poll_fetches_wins(
    settings: Settings, sections: tuple[Publisher, Publisher]
) -> None:
    """The poll fetched unlocked; a run took the warehouse meanwhile: the poll gives up its
    results (the run reads the feeds itself) and records nothing."""
    busy, _ = sections
    held = []

    def fetch_while_a_run_starts(
        settings: Settings, specs: Sequence[FeedSpec], states: dict[str, FeedState], now: datetime
    ) -> list:
        held.append(hold_in_child(settings.db))
        return fetch_due_feeds(settings, specs, states, now)

    with serve({"/busy.xml": busy.feed}) as (base, _stats):
        spec = FeedSpec(url=f"{base}/busy.xml", name="Busy")
        try:
            summary = run_poll(settings, [spec], fetch=fetch_while_a_run_starts)
        finally:
            for child in held:
                child.kill()
                child.wait()
    assert summary.gave_up is not None and "held-by-test" in summary.gave_up
    con = connect(settings.db)
    assert con.execute("SELECT count(*) FROM entry_queue").fetchone() == (0,)
    assert con.execute("SELECT last_success_at FROM feeds").fetchone() == (None,)
    con.close()


def test_a_feed_a_run_read_while_the_poll_fetched_it_is_left_as_the_run_wrote_it(
    settings: Settings, sections: tuple[Publisher, Publisher]
) -> None:
    busy, quiet = sections
    ran_at = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)

    def fetch_while_a_run_reads_busy(
        settings: Settings, specs: Sequence[FeedSpec], states: dict[str, FeedState], now: datetime
    ) -> list:
        con = connect(settings.db)
        con.execute("UPDATE feeds SET last_success_at = ? WHERE name = 'Busy'", [ran_at])
        con.close()
        return fetch_due_feeds(settings, specs, states, now)

    with serve({"/busy.xml": busy.feed, "/quiet.xml": quiet.feed}) as (base, _stats):
        specs = [
            FeedSpec(url=f"{base}/busy.xml", name="Busy"),
            FeedSpec(url=f"{base}/quiet.xml", name="Quiet"),
        ]
        summary = run_poll(settings, specs, fetch=fetch_while_a_run_reads_busy)
    assert (summary.feeds_ok, summary.new_entries) == (1, 10)
    con = connect(settings.db)
    rows = con.execute("SELECT name, last_success_at = ? FROM feeds ORDER BY name", [ran_at])
    assert rows.fetchall() == [("Busy", True), ("Quiet", False)]
    queued = con.execute("SELECT DISTINCT feed_url LIKE '%quiet%' FROM entry_queue").fetchall()
    con.close()
    assert queued == [(True,)]
