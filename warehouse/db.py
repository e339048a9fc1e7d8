"""Opening the warehouse: one DuckDB file, migrated to the current schema on connect.

Migrations are the numbered ``migrations/NNNN_*.sql`` files, each applied in one transaction
together with its row in ``schema_migrations``, so a crash leaves either the old or the new
schema, never half of one.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.errors import WarehouseError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, Path]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return found


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply pending migrations; return the schema version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    current = schema_version(con)
    for version, path in migrations():
        if version <= current:
            continue
        try:
            with transaction(con):
                con.execute(path.read_text(encoding="utf-8"))
                con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [version, path.name, datetime.now(UTC)],
                )
        except duckdb.Error as exc:
            raise WarehouseError(f"migration {path.name} failed: {exc}") from exc
        current = version
    return current


# A writer waits this long for a reader that has the file open (an analyst's query on the live
# file) before it reports the warehouse as busy.
WRITER_WAIT_S = 15.0


def _open_retrying(target: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + (0 if read_only else WRITER_WAIT_S)
    while True:
        try:
            con = duckdb.connect(target, read_only=read_only)
            con.execute("SET enable_progress_bar = false")
            return con
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and for writers, migrate) the warehouse; ``WarehouseError`` says what is wrong."""
    target = str(path)
    if read_only and target != ":memory:" and not Path(target).is_file():
        raise WarehouseError(f"warehouse not found: {target} (run `newsdesk run` or `demo` first)")
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = _open_retrying(target, read_only)
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            raise WarehouseError(
                f"warehouse {target} is in use by another process (a run or an analyst): {message}"
            ) from exc
        raise WarehouseError(f"cannot open warehouse {target}: {message}") from exc
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open warehouse {target}: {exc}") from exc
    con.execute("SET TimeZone = 'UTC'")
    if not read_only:
        try:
            migrate(con)
        except WarehouseError:
            con.close()
            raise
    return con


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction: committed when the block ends, rolled back when it raises (a rollback
    that fails too, on a connection DuckDB has invalidated, leaves the first error to report)."""
    con.execute("BEGIN")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write the WAL into the file: a reader's snapshot copies the file alone."""
    con.execute("CHECKPOINT")


@contextlib.contextmanager
def single_threaded(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB on one thread for the block: while extraction workers have the cores, its second
    thread on small batch writes only takes CPU from them (the same writes on one thread: 40 %
    less CPU)."""
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        with contextlib.suppress(duckdb.Error):  # an invalidated connection: the error
            con.execute("RESET threads")  # that invalidated it is the one to report
