"""Did a feed's window roll over between two fetches? Pure functions over the entries a fetch
listed and what the feed listed at its previous successful fetch.

A feed lists only its newest entries. When every entry it lists now is one it did not list
last time, and the oldest of them is newer than that fetch, entries may have been published
and scrolled out in between, unseen. A feed fetched for the first time never counts; nor does
one that merely reordered or re-dated its entries, or that was fetched often enough (some
entry of last time is still listed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ingest.models import FeedEntry, FeedState


@dataclass(frozen=True)
class Rollover:
    """``overflowed``: the window rolled over; ``missed``: an estimate of the entries missed
    (None when the entries' dates cannot tell)."""

    overflowed: bool
    missed: int | None = None


NO_ROLLOVER = Rollover(False)


def rollover(entries: Sequence[FeedEntry], previous: FeedState | None) -> Rollover:
    """The window check of one parsed fetch of a feed, against its previous state."""
    if previous is None or previous.last_success_at is None or not previous.listed:
        return NO_ROLLOVER
    seen = set(previous.listed)
    if not entries or any(e.canonical_url in seen for e in entries):
        return NO_ROLLOVER
    dates = sorted(d for e in entries if (d := e.published_at or e.updated_at) is not None)
    if len(dates) < len(entries):  # undated entries: no entry of last time is left, which says it
        return Rollover(True)
    if dates[0] <= previous.last_success_at:
        return NO_ROLLOVER  # entries that were there last time, not listed then: no scrolling
    return Rollover(True, missed_between(dates, previous.last_success_at))


def missed_between(dates: Sequence[datetime], since: datetime) -> int | None:
    """Entries published between ``since`` and the oldest of ``dates`` (sorted), at the rate
    the dates show, rounded down; None when they show none (one entry, or all at one time)."""
    first, last = dates[0], dates[-1]
    span = (last - first).total_seconds()
    if len(dates) < 2 or span <= 0:
        return None
    gap = (first - since).total_seconds()
    return int((len(dates) - 1) / span * gap)
