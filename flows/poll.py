"""The intra-day poll as a Prefect flow, for the deployment beside the nightly one in
deployments/prefect.yaml: ``pipeline.poll.run_poll`` with the feed stages as tasks. (``newsdesk
poll`` runs the same poll without Prefect: from cron, a Prefect server start would cost more
than the poll.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prefect import flow

from flows.tasks import as_is, engine_logs, fetch_feeds, read_feeds
from ingest.feed_list import load_feed_list
from ingest.models import FeedEntry, FeedOutcome, FeedSpec, FeedState, FetchResult, RunSummary
from ingest.settings import Settings
from pipeline.poll import run_poll


def _fetch(
    settings: Settings, specs: Sequence[FeedSpec], states: dict[str, FeedState], now: datetime
) -> list[FetchResult | str]:
    return fetch_feeds(settings, as_is(specs), as_is(states), now)


def _read(
    settings: Settings,
    specs: Sequence[FeedSpec],
    results: Sequence[FetchResult | str],
    states: dict[str, FeedState],
) -> tuple[list[FeedOutcome], list[FeedEntry]]:
    return read_feeds(settings, as_is(specs), as_is(results), as_is(states))


@flow(name="newsdesk-poll", log_prints=False, timeout_seconds=900)
def poll(
    feeds_file: str | None = None,
    db_path: str | None = None,
    allow_hosts: list[str] | None = None,
    every_feed: bool = False,
) -> RunSummary:
    """One poll. Parameters override the ``NEWSDESK_*`` settings; ``every_feed`` reads every
    feed, due or not."""
    engine_logs()
    settings = Settings.from_parameters(feeds_file, db_path, None, allow_hosts)
    return run_poll(settings, load_feed_list(settings.feeds), every_feed, _fetch, _read)
