"""Re-extraction: archived pages extracted, deduplicated and tagged again, without fetching
anything (after an extractor or detector upgrade), with the nightly run's lock and record."""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger

from flows.tasks import as_is, engine_logs, finish_run, reextract_batch
from ingest.archive import unpack
from ingest.models import RunSummary
from ingest.settings import Settings
from pipeline.batch import AlertRules
from pipeline.plan import BATCH_SIZE
from pipeline.run import Run, one_run
from pipeline.runtime import pool_for
from warehouse import store


@flow(name="newsdesk-reextract", log_prints=False)
def reextract(db_path: str | None = None, since: datetime | None = None) -> RunSummary:
    """Extract, dedupe and tag archived pages again, without fetching anything."""
    engine_logs()
    settings = Settings.from_parameters(db_path=db_path)
    with one_run(settings) as run:
        return _reextract(settings, since, run)


def _reextract(settings: Settings, since: datetime | None, run: Run) -> RunSummary:
    logger = get_run_logger()
    con, run_id, tally = run.con, run.run_id, run.tally
    rules = AlertRules.from_settings(settings)
    pages, raw, stored_bytes = store.archive_stats(con)
    pool = pool_for(pages, settings.extract_workers)
    try:
        for rows in store.archived_pages(con, since, BATCH_SIZE):
            archived = [(*unpack(row), row["fetched_at"], row["run_id"]) for row in rows]
            result = reextract_batch(con, as_is(archived), pool, run_id, rules)
            tally.add(result, len(archived))
    finally:
        if pool is not None:
            pool.shutdown()
    logger.info(
        "archive: %d pages, %.1f KB stored per page (%.1f KB raw)",
        pages,
        stored_bytes / max(pages, 1) / 1024,
        raw / max(pages, 1) / 1024,
    )
    finish_run(con, settings, run_id, tally)
    return tally.summary
