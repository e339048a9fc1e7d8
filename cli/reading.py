"""The commands that read a warehouse: ``query``, ``feeds``, ``status``, ``search``, ``report``,
``export``. While a run holds the file they read the last completed run's snapshot, and they
never create a warehouse by mistake."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

from cli.errors import EXIT_FAILED, EXIT_OK, CliError
from cli.output import print_rows, say
from ingest.errors import NewsdeskError
from ingest.settings import Settings


def require_warehouse(db: Path) -> None:
    """Commands that work on a warehouse refuse to create an empty one by mistake."""
    if str(db) != ":memory:" and not Path(db).is_file():
        raise CliError(f"warehouse not found: {db} (run `newsdesk run` or `demo` first)")


@contextlib.contextmanager
def locked(settings: Settings, holder: str) -> Iterator[None]:
    """The warehouse's run lock for a command that writes it, taken before anything starts: a
    second command says who is in the way at once (or waits ``lock_wait``), and the command
    can open the file (DuckDB refuses a second writer). A flow the command starts takes the
    lock too, as a deployment's run must; in this process that is the same lock, held again
    (``warehouse.lock``)."""
    from warehouse.lock import run_lock

    try:
        with run_lock(settings.db, holder, settings.lock_wait) as note:
            if note:
                say(note)
            yield
    except OSError as exc:
        raise CliError(
            f"cannot use warehouse {settings.db}: cannot create its lock file "
            f"({exc.strerror or exc}); is its folder read-only?"
        ) from None


def open_warehouse(
    db: Path,
    read_only: bool = True,
    sandboxed: bool = True,
    extension: str | None = None,
    live: bool = False,
) -> duckdb.DuckDBPyConnection:
    """The warehouse, or a clear error naming what is wrong with it. Readers get the last
    completed run's snapshot while a run holds the file (with a notice on stderr), in a
    connection that can read the warehouse and nothing else (``sandboxed``)."""
    from warehouse.db import connect
    from warehouse.snapshot import connect_reader

    require_warehouse(db)
    if not read_only:
        return connect(db)
    try:
        con, notice = connect_reader(Path(db), sandboxed, extension, live)
    except NewsdeskError as exc:
        raise CliError(str(exc)) from None
    if notice:
        say(notice)
    return con


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    if not args.sql.strip():
        raise CliError("query: the SQL statement is empty")
    con = open_warehouse(settings.db)
    try:
        cur = con.execute(args.sql)
        table = ([d[0] for d in cur.description or []], cur.fetchall())
    except duckdb.Error as exc:
        raise CliError(f"query failed: {exc}", EXIT_FAILED) from None
    finally:
        con.close()
    print_rows(table, args.format)
    return EXIT_OK


def cmd_feeds(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.store import feed_health

    con = open_warehouse(settings.db)
    try:
        print_rows(feed_health(con), args.format)
    finally:
        con.close()
    return EXIT_OK


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.lock import is_held
    from warehouse.store import (
        feeds_needing_attention,
        polls_since_last_run,
        recent_runs,
        undelivered_digests,
    )

    # The live file when no run holds it: a failed or killed run is only recorded there.
    con = open_warehouse(settings.db, live=True)
    try:
        runs = recent_runs(con, args.runs, running_alive=is_held(settings.db))
        feeds = feeds_needing_attention(con)
        digests = undelivered_digests(con)
        polls = polls_since_last_run(con)
    finally:
        con.close()
    latest = dict(zip(runs[0], runs[1][0], strict=True)) if runs[1] else None
    if latest is not None and latest["status"] != "completed":
        error = f": {latest['error']}" if latest["error"] else ""
        print(f"Last run {latest['run_id']}: {latest['status'].upper()}{error}\n")
    print(f"Last {args.runs} runs:")
    print_rows(runs)
    count, read, queued, recovered = polls
    print(
        f"\nPolls since the last run: {count} ({read} feed reads, {queued} entries queued,"
        f" {recovered} recovered from news sitemaps)"
        if count
        else "\nPolls since the last run: none"
    )
    for title, table in (
        ("Feeds that need attention", feeds),
        ("Alert digests not delivered (retried by the next run)", digests),
    ):
        print()
        if table[1]:
            print(f"{title}:")
            print_rows(table)
        else:
            print(f"{title.partition(' (')[0]}: none")
    return EXIT_OK


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.search import search

    extension = settings.fts_extension or None
    con = open_warehouse(settings.db, extension=extension)
    try:
        columns, rows, notice = search(
            con, args.terms, args.since, args.country, args.limit, extension
        )
    finally:
        con.close()
    if notice:
        say(notice)
    print_rows((columns, rows), args.format)
    return EXIT_OK


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.report import build_report

    con = open_warehouse(settings.db)
    try:
        html_path, png_path = build_report(con, args.days, Path(args.out))
    except OSError as exc:
        raise CliError(f"cannot write the report to {args.out}: {exc.strerror or exc}") from None
    finally:
        con.close()
    print(f"wrote {html_path} and {png_path}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime

    from warehouse.export import export_parquet

    if args.ducklake:
        return _export_lake(args, settings)
    if not args.out:
        raise CliError("export: give an output folder, or --ducklake CATALOG")

    since = args.since or datetime(1970, 1, 1, tzinfo=UTC)
    # Not sandboxed: DuckDB writes the Parquet files; the command takes no SQL from the user.
    con = open_warehouse(settings.db, sandboxed=False)
    try:
        written = export_parquet(con, Path(args.out), since)
    finally:
        con.close()
    counts = ", ".join(f"{table}: {rows} rows" for table, rows in written.items())
    print(f"{counts} written to {args.out}")
    return EXIT_OK


def _export_lake(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.lake import catalog_file, export_ducklake
    from warehouse.snapshot import snapshot_path

    catalog = str(args.ducklake)
    file = catalog_file(catalog)
    if file is None and not args.data_path:
        raise CliError(f"--ducklake {catalog}: a catalog in a database needs --data-path DIR")
    data = Path(args.data_path) if args.data_path else Path(str(file)).parent / "data"
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
    require_warehouse(settings.db)
    snapshot = snapshot_path(settings.db)  # what readers read while a run writes the file
    source = snapshot if snapshot.is_file() else settings.db
    try:
        written = export_ducklake(source, catalog, data)
    except duckdb.Error as exc:
        raise CliError(f"--ducklake {catalog}: {str(exc).splitlines()[0]}") from None
    counts = ", ".join(f"{table}: {rows} rows" for table, rows in written.items())
    print(f"{counts} written to the DuckLake {catalog} (data in {data})")
    return EXIT_OK
