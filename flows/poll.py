"""The intra-day poll as a Prefect flow, for the deployment beside the nightly one in
deployments/prefect.yaml: ``pipeline.poll.run_poll`` with the feed stages as tasks. (``newsdesk
poll`` runs the same poll without Prefect: from cron, a Prefect server start would cost more
than the poll.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from prefect import flow

from flows.tasks import as_is, engine_logs, fetch_feeds, fill_gaps, read_feeds
from ingest.feed_list import load_feed_list
from ingest.models import RunSummary
from ingest.settings import Settings
from pipeline.poll import run_poll

T = TypeVar("T")


def _stage(stage: Callable[..., T]) -> Callable[..., T]:
    """A feed stage's task for ``run_poll``, its arguments passed as they are (``as_is``)."""

    def call(*args: Any) -> T:
        return stage(*(as_is(a) for a in args))

    return call


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
    specs = load_feed_list(settings.feeds)
    return run_poll(
        settings, specs, every_feed, _stage(fetch_feeds), _stage(read_feeds), _stage(fill_gaps)
    )
