"""Reading while the night runs.

DuckDB lets no other process open a file while a writer has it open, not even read-only. So
every completed run publishes a snapshot — a copy of the checkpointed file, swapped in with one
atomic rename as ``<db>.snapshot`` — and ``newsdesk query``/``search``/``status`` read it: they
never wait on a run, never fail with a lock error, never block the next run, and never see a
half-written batch (the snapshot only ever holds completed runs).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.errors import WarehouseError
from warehouse.db import connect
from warehouse.lock import holder, is_held

# A reader retries this long for the writer to finish opening or closing the file (a brief
# lock) before it falls back to the snapshot.
BUSY_RETRY_S = 1.0


def snapshot_path(db: Path) -> Path:
    return db.with_name(db.name + ".snapshot")


def publish(db: Path) -> Path:
    """Copy the (checkpointed) warehouse to its snapshot, atomically; the writer holds the
    file, so nothing changes it during the copy."""
    target = snapshot_path(db)
    staging = target.with_name(target.name + ".tmp")
    shutil.copyfile(db, staging)
    os.replace(staging, target)
    return target


# What a sandboxed reader may not do, set once and then locked: touch any file but the
# warehouse (COPY TO over the live file, read_text('/etc/passwd'), glob, ATTACH), or install
# or load extensions (INSTALL makes network requests).
SANDBOX = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET allow_community_extensions = false",
    "SET lock_configuration = true",
)


def sandbox(
    con: duckdb.DuckDBPyConnection, extension: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Shut a reader connection in with the warehouse: it can still read every table and view
    and rank with BM25 (the fts extension, ``extension`` or the shipped package's, is loaded
    first), and nothing else; the settings cannot be changed back."""
    from warehouse.search import load_fts

    load_fts(con, extension)  # a missing extension leaves search to its substring fallback
    for statement in SANDBOX:
        con.execute(statement)
    return con


def connect_reader(
    db: Path, sandboxed: bool = True, extension: str | None = None, live: bool = False
) -> tuple[duckdb.DuckDBPyConnection, str | None]:
    """A read-only connection for analysts: the snapshot of the last completed run when there
    is one (so readers never hold the live file a run needs), else the live file; sandboxed
    (``sandbox``) unless the caller writes files through DuckDB itself (Parquet export).

    With ``live``, the live file whenever no run holds it: it also has what a run that failed or
    was killed wrote (its own ``runs`` row above all), which no snapshot has.

    Returns the connection and, while a run is writing, a one-line notice saying what is read.
    """
    con, notice = None, None
    if live and db.is_file() and not is_held(db):
        with contextlib.suppress(WarehouseError):  # taken meanwhile: the snapshot, then
            con = connect(db, read_only=True)
    if con is None:
        con, notice = _reader(db)
    return (sandbox(con, extension) if sandboxed else con), notice


def _reader(db: Path) -> tuple[duckdb.DuckDBPyConnection, str | None]:
    snap = snapshot_path(db)
    if snap.is_file():
        notice = None
        info = holder(db)
        if info and not info.get("released"):
            taken = datetime.fromtimestamp(snap.stat().st_mtime, tz=UTC)
            notice = (
                f"a run is writing {db.name}; reading the snapshot of the last completed "
                f"run ({taken:%Y-%m-%d %H:%M} UTC)"
            )
        return connect(snap, read_only=True), notice
    deadline = time.monotonic() + BUSY_RETRY_S
    while True:
        try:
            return connect(db, read_only=True), None
        except WarehouseError as exc:
            if "in use" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.1)
