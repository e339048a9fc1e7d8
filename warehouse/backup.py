"""Backup and restore of the warehouse, portable across DuckDB versions.

A backup is ``EXPORT DATABASE`` (schema SQL plus one Parquet file per table) written into a
folder; restore imports it into a new file next to the warehouse and swaps it in with one
rename, keeping the previous file as ``<db>.before-restore``. Both run under the run lock.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from ingest.errors import WarehouseError
from warehouse.db import connect, schema_version
from warehouse.snapshot import publish


def backup(db: Path, folder: Path) -> dict[str, int]:
    """Export the warehouse into ``folder`` (created, must be empty); returns rows per table."""
    if not db.is_file():
        raise WarehouseError(f"warehouse not found: {db}")
    if folder.exists() and any(folder.iterdir()):
        raise WarehouseError(f"backup folder {folder} is not empty")
    con = connect(db, read_only=True)
    try:
        counts = _counts(con)
        con.execute(f"EXPORT DATABASE '{_quote(folder)}' (FORMAT parquet)")
    except duckdb.Error as exc:
        raise WarehouseError(f"backup to {folder} failed: {exc}") from exc
    finally:
        con.close()
    return counts


def restore(folder: Path, db: Path) -> dict[str, int]:
    """Replace the warehouse with the backup in ``folder``; returns rows per table restored."""
    if not (folder / "schema.sql").is_file():
        raise WarehouseError(f"{folder} is not a newsdesk backup (no schema.sql)")
    staging = db.with_name(db.name + ".restoring")
    staging.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(staging))
        try:
            con.execute(f"IMPORT DATABASE '{_quote(folder)}'")
            if schema_version(con) == 0:
                raise WarehouseError(f"{folder}: the backup has no schema version")
            con.execute("CHECKPOINT")
            counts = _counts(con)
        finally:
            con.close()
        connect(staging).close()  # migrates a backup made by an older version
    except duckdb.Error as exc:
        staging.unlink(missing_ok=True)
        raise WarehouseError(f"restore from {folder} failed: {exc}") from exc
    if db.exists():
        shutil.copy2(db, db.with_name(db.name + ".before-restore"))
    os.replace(staging, db)
    db.with_name(db.name + ".wal").unlink(missing_ok=True)
    publish(db)
    return counts


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per table, of every schema: the search index has its own (named
    ``schema.table``; the warehouse's tables by their plain name)."""
    tables = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND table_catalog = current_database() ORDER BY 1, 2"
    ).fetchall()
    out = {}
    for schema, table in tables:
        row = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()
        out[table if schema == "main" else f"{schema}.{table}"] = int(row[0]) if row else 0
    return out


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
