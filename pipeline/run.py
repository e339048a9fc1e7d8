"""One run's lifecycle, the same for the nightly flow, re-extraction and URL ingestion:
the warehouse opened and the run recorded as started; at the end, alerts delivered, the run
recorded as completed, the file checkpointed and the readers' snapshot published; on any
error, the run recorded as failed with what it committed published, and the error let
through.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from ingest.dedupe import INDEX_VERSION, fingerprint
from ingest.faults import crash_point
from ingest.models import Article, FeedOutcome, RunSummary
from ingest.seeds import load_seeds
from ingest.settings import Settings
from pipeline.batch import BatchResult
from pipeline.plan import BATCH_SIZE
from warehouse import snapshot, store
from warehouse.db import checkpoint, connect, transaction
from warehouse.lock import run_lock
from warehouse.search import update_fts_index

log = logging.getLogger(__name__)


def preflight(settings: Settings, feeds: bool = True, seeds: bool = True) -> None:
    """Fail fast, before a flow starts, on a bad feeds file, bad seeds, an alert URL Apprise
    cannot use or an unusable warehouse (each a ConfigError or WarehouseError naming it);
    ``feeds``, ``seeds``: whether the run reads them."""
    from ingest.alerts import check_alert_urls
    from ingest.feed_list import load_feed_list

    if feeds:
        load_feed_list(settings.feeds)
    if seeds:
        load_seeds(settings.seeds_dir)
    check_alert_urls(settings.alert_urls)
    connect(settings.db).close()


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


@dataclass
class Tally:
    """A run's summary while it goes on, and the countries its originals mention."""

    summary: RunSummary
    started: float = field(default_factory=time.monotonic)
    countries: set[str] = field(default_factory=set)

    def add(self, result: BatchResult, fetched: int) -> None:
        self.summary.pages_fetched += fetched
        self.summary.pages_failed += result.failed
        self.summary.articles_stored += result.stored
        self.summary.duplicates += result.duplicates
        self.countries.update(result.countries)


@dataclass
class Run:
    """A run under way: its id and start, the warehouse it writes, its tally."""

    run_id: str
    now: datetime
    con: duckdb.DuckDBPyConnection
    tally: Tally


@contextlib.contextmanager
def one_run(settings: Settings, feeds_total: int = 0) -> Iterator[Run]:
    """One run's lifecycle, the same for every flow: an id, the warehouse's run lock (waiting
    up to ``lock_wait``, said in the log), the run recorded as started, as failed if the block
    raises; the block finishes it (``finish``)."""
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    with run_lock(settings.db, run_id, settings.lock_wait) as note:
        if note:
            log.warning("%s", note)
        tally = Tally(RunSummary(run_id=run_id, feeds_total=feeds_total))
        with recorded_run(settings.db, run_id, now, tally.summary) as con:
            yield Run(run_id, now, con, tally)


@contextlib.contextmanager
def recorded_run(
    db: Path, run_id: str, now: datetime, summary: RunSummary
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, with the run recorded as started; recorded as failed if the block
    raises (``fail``), closed in any case."""
    con = connect(db)
    try:
        store.start_run(con, run_id, now)
        yield con
    except BaseException as exc:
        fail(con, db, run_id, summary, exc)
        raise
    finally:
        con.close()


def backfill_index(con: duckdb.DuckDBPyConnection, rebuild: bool = False) -> int:
    """Index originals the near-duplicate index lacks (all of them with ``rebuild``).

    Runs at the start of every run, so a warehouse from an older version, or one whose index
    scheme changed, is indexed without a separate step.
    """
    store.drop_stale_fingerprints(con, INDEX_VERSION, everything=rebuild)
    done = 0
    while rows := store.unindexed_originals(con, BATCH_SIZE * 5):
        with transaction(con):
            store.index_fingerprints(
                con, [(aid, fingerprint(text).band_keys) for aid, text in rows], INDEX_VERSION
            )
        done += len(rows)
    return done


def pending_seeds(con: duckdb.DuckDBPyConnection, seeds_dir: Path) -> list[Article]:
    """The seeds not stored yet (a stored seed is left as it is)."""
    seeds = load_seeds(seeds_dir)
    stored = store.stored_urls(con, [s.canonical_url for s in seeds])
    return [s for s in seeds if s.canonical_url not in stored]


def index_for_search(con: duckdb.DuckDBPyConnection, settings: Settings) -> str | None:
    """Bring the BM25 index up to date with the originals of the search window; why not when
    the extension cannot be loaded."""
    window = timedelta(days=settings.search_days) if settings.search_days else None
    since = datetime.now(UTC) - window if window else None
    return update_fts_index(con, settings.fts_extension or None, since)


def finish(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str,
    tally: Tally,
    deliver: Callable[[], list[str]],
) -> None:
    """Alerts of the run, delivery (``deliver``: the channels that failed), and the run's
    record; then the checkpoint and the readers' snapshot."""
    summary = tally.summary
    summary.countries_found = len(tally.countries)
    summary.new_countries = [a.country_code for a in store.run_alerts(con, run_id)]
    summary.alerts_raised = len(summary.new_countries)
    with contextlib.ExitStack() as stack:
        indexed = None
        if summary.articles_stored or summary.revisions:
            # On a connection of its own, in DuckDB's threads, while the alerts go out (Python
            # and Prefect's API): the two are the longest steps of the run's end.
            cursor = stack.enter_context(con.cursor())
            pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="newsdesk-fts"))
            indexed = pool.submit(index_for_search, cursor, settings)
        summary.undelivered = deliver()
        reason = indexed.result() if indexed else None
        if reason:
            log.info("full-text index not updated: %s", reason)
    summary.seconds = round(time.monotonic() - tally.started, 2)
    store.finish_run(con, run_id, datetime.now(UTC), "completed", summary.counts())
    checkpoint(con)
    crash_point("finished")
    snapshot.publish(settings.db)


def fail(
    con: duckdb.DuckDBPyConnection,
    db: Path,
    run_id: str,
    summary: RunSummary,
    exc: BaseException,
) -> None:
    """Record the failure; when even that cannot be written (a full disk, a database DuckDB
    has invalidated), say so and let the original error through. The next run marks this one
    abandoned."""
    try:
        store.finish_run(
            con,
            run_id,
            datetime.now(UTC),
            "failed",
            summary.counts(),
            f"{exc.__class__.__name__}: {exc}",
        )
    except duckdb.Error as again:
        log.warning("could not record the failed run: %s", str(again).splitlines()[0][:200])
        return
    try:
        # Readers see what the failed run committed (its batches and its own record).
        checkpoint(con)
        snapshot.publish(db)
    except (duckdb.Error, OSError) as again:
        log.warning(
            "snapshot not updated after the failed run: %s", str(again).splitlines()[0][:200]
        )


def summary_markdown(summary: RunSummary, outcomes: Sequence[FeedOutcome]) -> str:
    """The run's counts and the outcome of each feed that had something to say, as Markdown
    tables; the quiet ones (a 304, the same body) are counted, not listed: at 10,000 feeds
    they made a table of 9,500 rows saying nothing."""
    counts = "\n".join(f"| {k.replace('_', ' ')} | {v} |" for k, v in summary.counts().items())
    quiet = sum(o.quiet for o in outcomes)
    rows = "\n".join(
        f"| {o.name} | {o.status} | {o.http_status or ''} | {o.entries_seen} | "
        f"{(o.error or '').replace('|', '/')[:120]} |"
        for o in outcomes
        if not o.quiet
    )
    return (
        f"# newsdesk run {summary.run_id}\n\n| stage | count |\n|---|---|\n{counts}\n\n"
        f"| feed | status | HTTP | entries | error |\n|---|---|---|---|---|\n{rows}\n\n"
        f"{quiet} feeds had nothing new (not modified, or the same body).\n"
    )
