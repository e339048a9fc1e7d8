"""The warehouse copied into a DuckLake, kept up to date night by night: for readers beyond
one machine (many people and engines at once, each reading a snapshot), while the DuckDB file
stays the pipeline's single writer.

The catalog is a DuckDB file, or a PostgreSQL database (``postgres:dbname=... host=...``,
for many writers and readers on other machines), and the data is Parquet under
``data_path``. Each export is one transaction, so one DuckLake snapshot
per night. The large tables get their new rows only (and the rows whose content changed);
the small ones, updated in place every night (feeds, runs, deliveries), are copied whole. The
public views of ``docs/sql.md`` are created in the lake, so the documented SQL runs there as
on the file. The extension comes from the duckdb-extension-ducklake package: nothing is
downloaded at run time.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import duckdb

# Large tables: their key, and the columns whose change means the row changed (a re-extracted
# article, a page turned duplicate). Their new and changed rows are written each night.
APPENDED = {
    "articles": (("article_id",), ("content_hash", "duplicate_of", "title", "text")),
    "country_mentions": (("article_id", "country_code"), ("mentions", "snippet")),
    "fetch_log": (("run_id", "url", "kind", "logged_at"), ()),
}
# Small tables updated in place: copied whole.
REPLACED = ("feeds", "runs", "run_feeds", "alerts", "alert_deliveries", "revisions")


def extension_path(name: str = "ducklake") -> str:
    """A DuckDB extension from its PyPI package (duckdb-extension-ducklake,
    duckdb-extension-postgres-scanner), or DuckDB's name for it (which DuckDB would download:
    an offline machine then says so at ATTACH)."""
    try:
        package = importlib.import_module(f"duckdb_extension_{name}")
    except ImportError:
        return name
    found = sorted(Path(package.__file__ or "").parent.rglob("*.duckdb_extension"))
    return str(found[-1]) if found else name


# Catalogs in a database server rather than a file: DuckLake's own prefixes.
SERVER_CATALOGS = ("postgres:", "mysql:")


def catalog_file(catalog: str) -> Path | None:
    """The catalog's file, or None for a catalog in a database server."""
    bare = catalog.removeprefix("ducklake:")
    return None if bare.startswith(SERVER_CATALOGS) else Path(bare)


def load_extensions(con: duckdb.DuckDBPyConnection, catalog: str) -> None:
    """DuckLake, and for a PostgreSQL catalog (``postgres:dbname=... host=...``) the
    PostgreSQL scanner it reads and writes the catalog through, both from their packages."""
    con.execute(f"LOAD '{_quote(extension_path())}'")
    if catalog.removeprefix("ducklake:").startswith("postgres:"):
        con.execute(f"LOAD '{_quote(extension_path('postgres_scanner'))}'")


def _quote(text: str) -> str:
    return text.replace("'", "''")


def export_ducklake(warehouse: Path, catalog: str, data_path: Path) -> dict[str, int]:
    """Bring the lake in line with the warehouse file (attached read-only to a connection of
    its own, which may write the lake), in one transaction (one snapshot); returns the rows
    written per table."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{_quote(str(warehouse))}' AS warehouse (READ_ONLY)")
        con.execute("USE warehouse")
        return _export(con, catalog, data_path)
    finally:
        con.close()


def _export(con: duckdb.DuckDBPyConnection, catalog: str, data_path: Path) -> dict[str, int]:
    load_extensions(con, catalog)
    data_path.mkdir(parents=True, exist_ok=True)
    target = f"ducklake:{catalog.removeprefix('ducklake:')}"
    con.execute(f"ATTACH '{_quote(target)}' AS lake (DATA_PATH '{_quote(str(data_path))}/')")
    try:
        existing = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'"
            ).fetchall()
        }
        written: dict[str, int] = {}
        con.execute("BEGIN")
        for table, (keys, changed) in APPENDED.items():
            written[table] = _append(con, table, keys, changed, table in existing)
        for table in REPLACED:
            if table in existing:
                con.execute(f"DELETE FROM lake.{table}")
                con.execute(f"INSERT INTO lake.{table} SELECT * FROM {table}")
            else:
                con.execute(f"CREATE TABLE lake.{table} AS SELECT * FROM {table}")
            written[table] = _count(con, table)
        _views(con)
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DETACH lake")
    return written


def _append(
    con: duckdb.DuckDBPyConnection,
    table: str,
    keys: tuple[str, ...],
    changed: tuple[str, ...],
    exists: bool,
) -> int:
    """Write the table's rows the lake lacks or holds in an older form; how many."""
    if not exists:
        con.execute(f"CREATE TABLE lake.{table} AS SELECT * FROM {table}")
        return _count(con, table)
    on = " AND ".join(f"l.{k} IS NOT DISTINCT FROM w.{k}" for k in keys)
    if changed:
        differs = " OR ".join(f"l.{c} IS DISTINCT FROM w.{c}" for c in changed)
        con.execute(
            f"DELETE FROM lake.{table} l WHERE EXISTS (SELECT 1 FROM {table} w"
            f" WHERE {on} AND ({differs}))"
        )
    before = _count(con, f"lake.{table}")
    con.execute(
        f"INSERT INTO lake.{table} SELECT * FROM {table} w WHERE NOT EXISTS"
        f" (SELECT 1 FROM lake.{table} l WHERE {on})"
    )
    return _count(con, f"lake.{table}") - before


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _views(con: duckdb.DuckDBPyConnection) -> None:
    """The warehouse's public views, made again in the lake over the lake's tables."""
    row = con.execute("SELECT current_database()").fetchone()
    home = str(row[0]) if row else "memory"
    views = con.execute(
        "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal"
        " AND database_name = current_database() AND schema_name = 'main'"
    ).fetchall()
    con.execute("USE lake")
    try:
        for _name, sql in views:
            con.execute(sql.replace("CREATE VIEW", "CREATE OR REPLACE VIEW", 1))
    finally:
        con.execute(f'USE "{home}"')
