"""Which feeds an intra-day poll fetches, and how often: pure functions over a feed's record.

A feed lists its newest entries. At the rate its entries' dates show, the whole list turns over
in ``listed / rate``; when that is shorter than the time to the next nightly run, entries will
scroll out unseen unless someone looks in between. Such a feed is polled at half that time, so
that each poll still finds half of what the last one listed (Media Cloud aims at a third to
two thirds seen); a quiet feed is left to the nightly run. A feed whose entries carry no dates
cannot show a rate: once it has rolled over, it is polled at half the time the roll-over took,
and keeps that interval. The interval never goes below ``minimum`` (politeness), and a poll
never fetches a feed the nightly run's backoff holds back (``feed_schedule``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.models import FeedEntry, FeedState

NIGHT = timedelta(hours=24)  # what the nightly run alone covers
OVERLAP = 0.5  # of the list's turnover time: each poll finds half of what the last listed


@dataclass(frozen=True)
class PollInterval:
    """How often a feed is polled intra-day (None: the nightly run is enough), and why."""

    every: timedelta | None
    reason: str


def entries_per_day(entries: Sequence[FeedEntry]) -> float | None:
    """The publication rate the entries' dates show: entries between the oldest and the
    newest over that span. None for fewer than two dated entries or all at one time."""
    dates = sorted(d for e in entries if (d := e.published_at or e.updated_at) is not None)
    if len(dates) < 2:
        return None
    span = (dates[-1] - dates[0]).total_seconds()
    return (len(dates) - 1) / span * 86400 if span > 0 else None


def _duration(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


def poll_interval(
    per_day: float | None,
    listed: int,
    rolled_over_after: timedelta | None,
    previous: timedelta | None,
    minimum: timedelta,
) -> PollInterval:
    """The feed's interval after a parsed fetch: from its rate and the entries it lists; or,
    without a rate, from a roll-over seen now (``rolled_over_after``: the time since the fetch
    before) or the interval it had (``previous``)."""
    if per_day and listed:
        turnover = timedelta(days=listed / per_day)
        rate = f"lists {listed}, about {per_day:.3g} a day: the list turns over in "
        if turnover >= NIGHT and rolled_over_after is None:
            return PollInterval(None, rate + f"{_duration(turnover)}; nightly is enough")
        every = turnover * OVERLAP
        if rolled_over_after is not None:
            every = min(every, rolled_over_after * OVERLAP)
        return PollInterval(max(every, minimum), rate + _duration(turnover))
    if rolled_over_after is not None:
        every = max(rolled_over_after * OVERLAP, minimum)
        within = _duration(rolled_over_after)
        return PollInterval(every, f"undated entries; rolled over within {within}")
    if previous is not None:
        return PollInterval(previous, "undated entries; rolled over before")
    return PollInterval(None, "no rate to tell (undated entries); nightly")


def poll_due(state: FeedState | None, now: datetime) -> bool:
    """Is the feed due for a poll: never read, or polled intra-day and its interval passed
    since it was last read (a nightly fetch counts)."""
    if state is None or state.last_success_at is None:
        return True
    if state.poll_every is None:
        return False
    return now >= state.last_success_at + state.poll_every
