"""The ``runs`` table and the ``fetch_log`` of every request a run made."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb

from warehouse.store.bulk import bulk_insert, table_of


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, at: datetime) -> None:
    """Record the run; runs still marked running died without a word (killed, power cut): the
    caller holds the run lock, so none of them is alive. They become ``abandoned``."""
    con.execute(
        "UPDATE runs SET status = 'abandoned', finished_at = ?, error = 'the process ended "
        "without finishing the run (killed?); ' || ? || ' found it' WHERE status = 'running'",
        [at, run_id],
    )
    con.execute(
        "INSERT INTO runs (run_id, started_at, status) VALUES (?, ?, 'running') "
        "ON CONFLICT DO NOTHING",
        [run_id, at],
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    at: datetime,
    status: str,
    counts: dict[str, int],
    error: str | None = None,
) -> None:
    columns = [c for c in counts if c in RUN_COUNT_COLUMNS]
    assignments = ", ".join(f"{c} = ?" for c in columns)
    con.execute(
        f"UPDATE runs SET finished_at = ?, status = ?, error = ?"
        f"{', ' + assignments if assignments else ''} WHERE run_id = ?",
        [at, status, error, *[counts[c] for c in columns], run_id],
    )


def record_poll(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    started: datetime,
    finished: datetime,
    counts: dict[str, int],
) -> None:
    """A poll, recorded once it is done (it holds the lock only to read and to write, so a
    row written at its start could be taken for a dead run by a run in between)."""
    columns = [c for c in counts if c in RUN_COUNT_COLUMNS]
    con.execute(
        f"INSERT INTO runs (run_id, kind, status, started_at, finished_at, {', '.join(columns)})"
        f" VALUES (?, 'poll', 'completed', ?, ?{', ?' * len(columns)})",
        [run_id, started, finished, *[counts[c] for c in columns]],
    )


def polls_since_last_run(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int, int]:
    """Polls since the last run started: how many, feeds they read, entries they queued and
    entries they recovered from news sitemaps."""
    row = con.execute(
        "SELECT count(*), coalesce(sum(feeds_ok + feeds_failed), 0),"
        " coalesce(sum(new_entries), 0), coalesce(sum(entries_recovered), 0) FROM runs"
        " WHERE kind = 'poll' AND started_at > coalesce((SELECT max(started_at) FROM runs"
        " WHERE kind IS DISTINCT FROM 'poll'), '-infinity'::TIMESTAMPTZ)"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


RUN_COUNT_COLUMNS = (
    "feeds_total",
    "feeds_ok",
    "feeds_failed",
    "feeds_skipped",
    "entries_seen",
    "new_entries",
    "pages_fetched",
    "pages_failed",
    "articles_stored",
    "duplicates",
    "countries_found",
    "alerts_raised",
    "feeds_rolled_over",
    "entries_recovered",
    "entries_missed",
)


FETCH_LOG_COLUMNS = (
    "run_id",
    "url",
    "feed_url",
    "kind",
    "stage",
    "status",
    "error",
    "bytes",
    "elapsed_ms",
    "attempts",
    "logged_at",
    "attempt_log",
)


def log_fetches(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Record page and feed attempts (keys of each row: ``FETCH_LOG_COLUMNS``)."""
    bulk_insert(
        con,
        "fetch_log",
        FETCH_LOG_COLUMNS,
        [[r.get(c) for c in FETCH_LOG_COLUMNS] for r in rows],
        {
            "status": "INTEGER",
            "bytes": "INTEGER",
            "elapsed_ms": "INTEGER",
            "attempts": "INTEGER",
            "logged_at": "TIMESTAMPTZ",
        },
        conflict="",
    )


def recent_runs(
    con: duckdb.DuckDBPyConnection, limit: int = 10, running_alive: bool = True
) -> tuple[list[str], list[Any]]:
    """The last runs, newest first. A run still marked running while no process holds the lock
    (``running_alive`` false) died without a word: it is shown as abandoned, as the next run
    will record it."""
    cur = con.execute(
        """
        SELECT run_id,
               CASE WHEN status = 'running' AND NOT ? THEN 'abandoned' ELSE status END AS status,
               started_at, round(epoch(finished_at - started_at), 1) AS seconds,
               feeds_ok, feeds_failed, feeds_skipped AS backing_off, new_entries,
               articles_stored AS stored, duplicates, alerts_raised AS alerts,
               feeds_rolled_over AS rolled_over, entries_recovered AS recovered,
               entries_missed AS missed,
               CASE WHEN status = 'running' AND NOT ?
                    THEN 'the process ended without finishing the run (killed?)'
                    ELSE error END AS error
        FROM runs WHERE kind IS DISTINCT FROM 'poll' ORDER BY started_at DESC LIMIT ?
        """,
        [running_alive, running_alive, limit],
    )
    return table_of(cur)
