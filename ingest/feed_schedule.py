"""Feed health between runs: when to fetch a feed, with which validators, and what a run's
outcome does to its record. Pure functions over ``FeedState``; the warehouse stores the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.fetch import conditional_headers
from ingest.models import FeedOutcome, FeedState
from ingest.poll_schedule import poll_interval

# Backoff doubles from one day and stops at a week, so a feed that comes back is noticed within
# a week; an hour of slack keeps a nightly run that starts a little early from skipping it.
BACKOFF_START = timedelta(days=1)
BACKOFF_MAX = timedelta(days=7)
BACKOFF_SLACK = timedelta(hours=1)


@dataclass(frozen=True)
class FeedPlan:
    """What to do with a feed this run."""

    fetch: bool
    headers: dict[str, str]
    reason: str = ""


def plan_fetch(state: FeedState | None, now: datetime, force_refetch_after: int) -> FeedPlan:
    """Skip a feed that is backing off; drop validators when too many 304s came in a row."""
    if state is None:
        return FeedPlan(True, {})
    if state.next_fetch_after is not None and state.next_fetch_after > now:
        return FeedPlan(
            False,
            {},
            f"backing off after {state.consecutive_failures} failures, "
            f"next try after {state.next_fetch_after:%Y-%m-%d %H:%M} UTC",
        )
    if state.not_modified_streak >= force_refetch_after:
        return FeedPlan(True, {}, "full fetch: validators may be stale")
    return FeedPlan(True, conditional_headers(state.etag, state.last_modified))


def apply_outcome(
    state: FeedState | None,
    outcome: FeedOutcome,
    now: datetime,
    backoff_after: int,
    poll_minimum: timedelta = timedelta(minutes=10),
) -> FeedState:
    """The feed's record after this run's outcome; a parsed fetch also sets how often the
    feed is polled between nightly runs (``poll_schedule``), at least ``poll_minimum``."""
    state = state or FeedState(feed_url=outcome.feed_url)
    if outcome.status == "skipped":
        return state
    if outcome.failed:
        failures = state.consecutive_failures + 1
        next_after = None
        if failures >= backoff_after:
            wait = min(BACKOFF_START * 2 ** (failures - backoff_after), BACKOFF_MAX)
            next_after = now + wait - BACKOFF_SLACK
        return state.model_copy(
            update={"consecutive_failures": failures, "next_fetch_after": next_after}
        )
    not_modified = outcome.status == "not_modified"
    update: dict[str, object] = {
        "consecutive_failures": 0,
        "next_fetch_after": None,
        "not_modified_streak": state.not_modified_streak + 1 if not_modified else 0,
        "last_success_at": now,
    }
    if outcome.listed:
        update["listed"] = outcome.listed
        since = now - state.last_success_at if state.last_success_at else None
        interval = poll_interval(
            outcome.entries_per_day,
            len(outcome.listed),
            since if outcome.overflowed else None,
            state.poll_every,
            poll_minimum,
        )
        update |= {
            "poll_every": interval.every,
            "poll_reason": interval.reason,
            "entries_per_day": outcome.entries_per_day,
        }
    if not not_modified:
        update |= {
            "etag": outcome.etag,
            "last_modified": outcome.last_modified,
            "body_hash": outcome.body_hash,
        }
    return state.model_copy(update=update)
