"""The ``newsdesk`` command: run, demo, query, countries."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

# Settings that give Prefect's ephemeral mode clean logs: no telemetry ERROR when offline, no
# tracebacks from the task-run recorder flushing while the temporary server is stopped at exit,
# and time for a fresh PREFECT_HOME to run its migrations (10-25 s on a loaded machine, past
# the default 20 s). pyproject.toml carries them too, but only for commands started from the
# project folder.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    # The client's own usage reports, and the notice about them Prefect prints on a terminal:
    # newsdesk runs offline and unattended, and says analytics are off.
    "DO_NOT_TRACK": "1",
}


def _prefect_env() -> None:
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)


@contextlib.contextmanager
def prefect_run() -> Iterator[None]:
    """Prefect settings for a flow this command starts and waits for. Flow-run heartbeats are
    off: they let a server notice a deployment's run whose process died, but a run started
    here reports its end through this command's exit status, and the next run marks a killed
    one abandoned; meanwhile their thread held the end of every run for up to a second (it
    sleeps in 1 s steps and the run waits for it). Deployment runs (``newsdesk serve``) keep
    them."""
    _prefect_env()
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def _settings(args: argparse.Namespace) -> Any:
    from ingest.settings import Settings

    overrides: dict[str, Any] = {}
    for attr, field in (("db", "db"), ("feeds", "feeds"), ("seeds", "seeds_dir")):
        value = getattr(args, attr, None)
        if value:
            overrides[field] = Path(value)
    if getattr(args, "allow_host", None):
        overrides["allow_hosts"] = list(args.allow_host)
    return Settings(**overrides)


def _preflight(settings: Any) -> None:
    """Fail fast, before Prefect starts, on a bad feeds file, bad seeds, an alert URL Apprise
    cannot use or an unusable database."""
    from ingest.alerts import check_alert_urls
    from ingest.feedlist import load_feed_list
    from ingest.seeds import load_seeds
    from warehouse.db import connect

    load_feed_list(settings.feeds)
    load_seeds(settings.seeds_dir)
    check_alert_urls(settings.alert_urls)
    connect(settings.db).close()


def print_summary(summary: Any, out: Any = None) -> None:
    s = summary
    lines = [
        f"run {s.run_id}: {s.status} in {s.seconds:.1f} s",
        f"  feeds      {s.feeds_ok} ok, {s.feeds_failed} failed, {s.feeds_skipped} backing off"
        f" (of {s.feeds_total})",
        f"  entries    {s.entries_seen} seen, {s.new_entries} new",
        f"  pages      {s.pages_fetched} fetched, {s.pages_failed} failed",
        f"  articles   {s.articles_stored} stored, {s.duplicates} duplicates",
        f"  countries  {s.countries_found} found",
        f"  alerts     {s.alerts_raised} raised"
        + (f": {', '.join(s.new_countries)}" if s.new_countries else ""),
    ]
    lines += [f"  alerts     digest not delivered to {u}, retried next run" for u in s.undelivered]
    lines += [f"  needs attention: {f}" for f in s.failed_feeds]
    print("\n".join(lines), file=out or sys.stdout)


EXIT_BAD_INPUT = 2
EXIT_BUSY = 3
EXIT_NO_FEED_FETCHED = 4


def nothing_fetched(summary: Any) -> bool:
    """Feeds were due and not one of them could be fetched: the network, a proxy or the feed
    list is broken, which cron must hear about (some feeds failing is a normal night)."""
    due = summary.feeds_total - summary.feeds_skipped
    return bool(due > 0 and summary.feeds_ok == 0)


class CliError(Exception):
    """Ends a command with a message on stderr and an exit code."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


def _existing(db: Path) -> None:
    """Commands that work on a warehouse refuse to create an empty one by mistake."""
    if str(db) != ":memory:" and not Path(db).is_file():
        raise CliError(f"warehouse not found: {db} (run `newsdesk run` or `demo` first)")


def _open(
    db: Path,
    read_only: bool = False,
    sandboxed: bool = True,
    extension: str | None = None,
    live: bool = False,
) -> Any:
    """The warehouse, or a clear error naming what is wrong with it. Readers get the last
    completed run's snapshot while a run holds the file (with a notice on stderr), in a
    connection that can read the warehouse and nothing else (``sandboxed``)."""
    from ingest.errors import NewsdeskError
    from warehouse.db import connect
    from warehouse.snapshot import connect_reader

    try:
        if not read_only:
            _existing(db)
            return connect(db)
        con, notice = connect_reader(Path(db), sandboxed, extension, live)
    except NewsdeskError as exc:
        raise CliError(str(exc)) from None
    if notice:
        print(f"newsdesk: {notice}", file=sys.stderr)
    return con


def _run_flow(settings: Any) -> int:
    from warehouse.lock import RunLocked, run_lock

    try:
        with run_lock(settings.db, "newsdesk run (starting)", settings.lock_wait) as note:
            if note:
                print(f"newsdesk: {note}", file=sys.stderr)
            return _run_locked(settings)
    except RunLocked as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except OSError as exc:
        print(
            f"newsdesk: cannot use warehouse {settings.db}: cannot create its lock file "
            f"({exc.strerror or exc}); is its folder read-only?",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT


def _run_locked(settings: Any) -> int:
    from ingest.errors import NewsdeskError, write_failure

    try:
        _preflight(settings)
    except NewsdeskError as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    _prefect_env()
    from ingest.extract import start_forkserver

    if not settings.dask_address:
        start_forkserver(settings.extract_workers)  # workers' code loads while Prefect starts
    from flows import progress
    from flows.nightly import flow_for

    try:
        with prefect_run(), progress.display():
            summary = flow_for(settings)(
                feeds_file=str(settings.feeds),
                db_path=str(settings.db),
                seeds_dir=str(settings.seeds_dir),
                allow_hosts=list(settings.allow_hosts),
            )
    except NewsdeskError as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        cause = write_failure(exc)
        if cause:
            print(
                f"newsdesk: run failed: cannot write (disk full or read-only?): {cause}. "
                "Batches committed before it are kept; the next run goes on from there.",
                file=sys.stderr,
            )
        else:
            print(f"newsdesk: run failed: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    print_summary(summary)
    if nothing_fetched(summary):
        due = summary.feeds_total - summary.feeds_skipped
        print(
            f"newsdesk: no feed could be fetched ({due} due, {summary.feeds_failed} failed): "
            "is the network down, or the feed list wrong?",
            file=sys.stderr,
        )
        return EXIT_NO_FEED_FETCHED
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    return _run_flow(_settings(args))


def cmd_demo(args: argparse.Namespace) -> int:
    from flows.demo import DEMO_PORT, serve_site, write_feed_list

    if args.port is not None and not 0 <= args.port <= 65535:
        raise CliError(f"--port {args.port} is not a port (0 to 65535)")

    try:
        server = serve_site(port=args.port if args.port is not None else DEMO_PORT)
        base_url = server.__enter__().url
    except OSError as exc:
        print(
            f"newsdesk: cannot serve the demo site on 127.0.0.1:{args.port or DEMO_PORT}: "
            f"{exc} (choose another with --port)",
            file=sys.stderr,
        )
        return 2
    try:
        with tempfile.TemporaryDirectory() as tmp:
            args.feeds = str(write_feed_list(base_url, Path(tmp) / "feeds.toml"))
            args.allow_host = ["127.0.0.1"]
            print(f"demo site at {base_url} (feeds: /harbor/rss.xml, /courier/atom.xml)")
            settings = _settings(args)
            code = _run_flow(settings)
    finally:
        server.__exit__(None, None, None)
    if code == 0:
        print()
        from warehouse.queries import DEMO_QUERIES

        for title, sql in DEMO_QUERIES:
            print(title)
            _print_query(settings.db, sql, "table")
            print()
    return code


def _format(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> str:
    if fmt == "json":
        return "\n".join(
            json.dumps(dict(zip(columns, r, strict=True)), default=str, ensure_ascii=False)
            for r in rows
        )
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")
    cells = [[("" if v is None else str(v)).replace("\n", " ") for v in r] for r in rows]
    widths = [min(60, max([len(c)] + [len(r[i]) for r in cells])) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    for r in cells:
        out.append("  ".join(v[:w].ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _print_query(db: Path, sql: str, fmt: str) -> int:
    import duckdb

    con = _open(db, read_only=True)
    try:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
    except duckdb.Error as exc:
        print(f"newsdesk: query failed: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    print(_format(columns, rows, fmt))
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    if not args.sql.strip():
        raise CliError("query: the SQL statement is empty")
    return _print_query(_settings(args).db, args.sql, args.format)


def cmd_feeds(args: argparse.Namespace) -> int:
    from warehouse.store import feed_health

    con = _open(_settings(args).db, read_only=True)
    try:
        columns, rows = feed_health(con)
    finally:
        con.close()
    print(_format(columns, rows, args.format))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from warehouse.lock import is_held
    from warehouse.store import feeds_needing_attention, recent_runs, undelivered_digests

    if args.runs < 1:
        raise CliError("--runs must be at least 1")
    db = _settings(args).db
    # The live file when no run holds it: a failed or killed run is only recorded there.
    con = _open(db, read_only=True, live=True)
    try:
        runs = recent_runs(con, args.runs, running_alive=is_held(db))
        feeds = feeds_needing_attention(con)
        digests = undelivered_digests(con)
    finally:
        con.close()
    latest = dict(zip(runs[0], runs[1][0], strict=True)) if runs[1] else None
    if latest is not None and latest["status"] != "completed":
        print(
            f"Last run {latest['run_id']}: {latest['status'].upper()}"
            + (f": {latest['error']}" if latest["error"] else "")
        )
        print()
    print(f"Last {args.runs} runs:")
    print(_format(*runs, "table"))
    print()
    print("Feeds that need attention:" if feeds[1] else "Feeds that need attention: none")
    if feeds[1]:
        print(_format(*feeds, "table"))
    print()
    if digests[1]:
        print("Alert digests not delivered (retried by the next run):")
        print(_format(*digests, "table"))
    else:
        print("Alert digests not delivered: none")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from warehouse.export import export_parquet

    try:
        since = (
            datetime.fromisoformat(args.since).replace(tzinfo=UTC)
            if args.since
            else datetime(1970, 1, 1, tzinfo=UTC)
        )
    except ValueError:
        print(f"newsdesk: --since {args.since!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return EXIT_BAD_INPUT
    # Not sandboxed: DuckDB writes the Parquet files; the command takes no SQL from the user.
    con = _open(_settings(args).db, read_only=True, sandboxed=False)
    try:
        written = export_parquet(con, Path(args.out), since)
    finally:
        con.close()
    print(
        ", ".join(f"{table}: {rows} rows" for table, rows in written.items())
        + f" written to {args.out}"
    )
    return 0


def cmd_ingest_urls(args: argparse.Namespace) -> int:
    from ingest.errors import NewsdeskError
    from ingest.urllist import read_url_list
    from warehouse.lock import RunLocked

    settings = _settings(args)
    urls: list[str] = []
    if args.source:
        try:
            text = (
                sys.stdin.read()
                if args.source == "-"
                else Path(args.source).read_text(encoding="utf-8")
            )
        except (OSError, UnicodeDecodeError) as exc:
            print(f"newsdesk: cannot read {args.source}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        urls, rejected = read_url_list(text)
        for line in rejected:
            print(f"newsdesk: {args.source}: {line}", file=sys.stderr)
    elif not args.sitemap:
        print("newsdesk: give a file of URLs ('-' for stdin) or --sitemap URL", file=sys.stderr)
        return EXIT_BAD_INPUT
    _prefect_env()
    from flows.backfill import ingest_urls

    try:
        with prefect_run():
            summary = ingest_urls(
                urls=urls,
                sitemap=args.sitemap,
                source=f"urls:{args.source or ''}",
                db_path=str(settings.db),
                seeds_dir=str(settings.seeds_dir),
                allow_hosts=list(settings.allow_hosts),
            )
    except RunLocked as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except NewsdeskError as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print_summary(summary)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    return _backup_or_restore(args, restore=False)


def cmd_restore(args: argparse.Namespace) -> int:
    return _backup_or_restore(args, restore=True)


def _backup_or_restore(args: argparse.Namespace, restore: bool) -> int:
    from ingest.errors import NewsdeskError
    from warehouse import backup
    from warehouse.lock import RunLocked, run_lock

    settings = _settings(args)
    folder = Path(args.folder)
    label = "restore" if restore else "backup"
    if not restore:
        _existing(settings.db)
    try:
        with run_lock(settings.db, f"newsdesk {label}", settings.lock_wait):
            counts = (
                backup.restore(folder, settings.db)
                if restore
                else backup.backup(settings.db, folder)
            )
    except RunLocked as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except NewsdeskError as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    what = "restored from" if restore else "backed up to"
    print(
        f"{settings.db} {what} {folder}: {counts.get('articles', 0)} articles, "
        f"{sum(counts.values())} rows in {len(counts)} tables"
    )
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from warehouse.search import search

    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since).replace(tzinfo=UTC)
        except ValueError:
            raise CliError(f"--since {args.since!r} is not a date (YYYY-MM-DD)") from None
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    settings = _settings(args)
    con = _open(settings.db, read_only=True, extension=settings.fts_extension or None)
    try:
        columns, rows, notice = search(
            con, args.terms, since, args.country, args.limit, settings.fts_extension or None
        )
    finally:
        con.close()
    if notice:
        print(f"newsdesk: {notice}", file=sys.stderr)
    print(_format(columns, rows, args.format))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from warehouse.report import build_report

    if args.days < 1:
        raise CliError("--days must be at least 1")
    con = _open(_settings(args).db, read_only=True)
    try:
        html_path, png_path = build_report(con, args.days, Path(args.out))
    except OSError as exc:
        raise CliError(f"cannot write the report to {args.out}: {exc.strerror or exc}") from None
    finally:
        con.close()
    print(f"wrote {html_path} and {png_path}")
    return 0


def cmd_reextract(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from ingest.errors import NewsdeskError
    from warehouse.db import connect

    settings = _settings(args)
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            print(f"newsdesk: --since {args.since!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
            return 2
        since = since.replace(tzinfo=UTC) if since.tzinfo is None else since
    _existing(settings.db)
    try:
        connect(settings.db).close()
    except NewsdeskError as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return 2
    _prefect_env()
    from flows.reextract import reextract

    with prefect_run():
        summary = reextract(db_path=str(settings.db), since=since)
    print(
        f"reextract {summary.run_id}: {summary.pages_fetched} archived pages, "
        f"{summary.articles_stored} articles written, {summary.pages_failed} without text, "
        f"{summary.duplicates} duplicates, {summary.alerts_raised} new countries"
        + (f": {', '.join(summary.new_countries)}" if summary.new_countries else "")
    )
    from warehouse.store import archive_stats

    con = connect(settings.db, read_only=True)
    try:
        pages, raw, stored = archive_stats(con)
    finally:
        con.close()
    if pages:
        print(
            f"archive: {pages} pages, {stored / pages / 1024:.1f} KB per page stored "
            f"({raw / pages / 1024:.1f} KB raw, {raw / max(stored, 1):.1f}x smaller)"
        )
    return 0


def cmd_dedupe_index(args: argparse.Namespace) -> int:
    from warehouse.db import checkpoint
    from warehouse.store import index_stats

    con = _open(_settings(args).db)
    from pipeline.run import backfill_index

    try:
        added = backfill_index(con, rebuild=args.rebuild)
        docs, rows = index_stats(con)
        checkpoint(con)
    finally:
        con.close()
    print(f"near-duplicate index: {added} originals indexed now; {docs} in all, {rows} band keys")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _prefect_env()
    from flows.serve import PREFECT_YAML, serve

    return serve(Path(args.prefect_file) if args.prefect_file else PREFECT_YAML, args.check)


def cmd_countries(args: argparse.Namespace) -> int:
    from ingest.countries import detect_countries

    sources = args.files or ["-"]
    for source in sources:
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"newsdesk: cannot read {source}: {exc}", file=sys.stderr)
            return 2
        found = [
            {"code": c.code, "name": c.name, "mentions": c.mentions} for c in detect_countries(text)
        ]
        print(
            json.dumps(
                {"source": "<stdin>" if source == "-" else source, "countries": found},
                ensure_ascii=False,
            )
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsdesk",
        description="Nightly news ingestion: RSS/Atom feeds to a DuckDB warehouse, "
        "with alerts when a new country is mentioned.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def fetch_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--seeds", help="folder of seed *.txt files (env NEWSDESK_SEEDS_DIR)")
        p.add_argument(
            "--allow-host",
            action="append",
            metavar="HOST",
            help="allow fetching from this host even on a private or loopback address "
            "(repeatable; env NEWSDESK_ALLOW_HOSTS)",
        )

    def db_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--db", help="DuckDB warehouse file (env NEWSDESK_DB; default newsdesk.duckdb)"
        )

    run = sub.add_parser(
        "run",
        help="run the nightly flow once, now",
        description="Run the nightly flow once and print a summary. Exit 0 "
        "when the run completed (failed feeds are recorded and named); 1 when the run "
        "failed; 2 for a bad feeds file, bad seeds, a bad alert URL or an unusable "
        "database; 3 when another run holds the warehouse; 4 when feeds were due and not "
        "one could be fetched.",
    )
    run.add_argument("--feeds", help="feed list, TOML or OPML (env NEWSDESK_FEEDS)")
    db_arg(run)
    fetch_args(run)
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser(
        "demo",
        help="serve the bundled demo site on loopback and run on it",
        description="Start a small loopback news site written for newsdesk, "
        "run the nightly flow against it, print what was stored.",
    )
    db_arg(demo)
    demo.add_argument("--seeds", help="folder of seed *.txt files")
    demo.add_argument(
        "--port",
        type=int,
        default=None,
        help="port of the demo site (default 8765; keep it fixed across runs)",
    )
    demo.set_defaults(func=cmd_demo)

    query = sub.add_parser(
        "query",
        help="run a read-only SQL query on the warehouse",
        description="Run a read-only SQL query and print the result.",
    )
    query.add_argument("sql", help="the SQL statement")
    db_arg(query)
    query.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="output format (default table)",
    )
    query.set_defaults(func=cmd_query)

    feeds = sub.add_parser(
        "feeds",
        help="list the feeds with their health",
        description="List every feed with its last status, consecutive failures, entries and "
        "backoff; failing feeds first.",
    )
    db_arg(feeds)
    feeds.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="output format (default table)",
    )
    feeds.set_defaults(func=cmd_feeds)

    status = sub.add_parser(
        "status",
        help="the last runs and the feeds that need attention",
        description="Show the last runs (status, counts, errors) and the feeds that failed "
        "lately or are backing off.",
    )
    db_arg(status)
    status.add_argument("--runs", type=int, default=10, help="how many runs (default 10)")
    status.set_defaults(func=cmd_status)

    export = sub.add_parser(
        "export",
        help="write date-partitioned Parquet (articles, country_mentions, alerts)",
        description="Export the warehouse as Hive-partitioned Parquet (year/month/day) for "
        "other engines; partitions already there are replaced.",
    )
    export.add_argument("out", help="output folder")
    export.add_argument(
        "--format", choices=("parquet",), default="parquet", help="file format (Parquet only)"
    )
    export.add_argument("--since", help="only rows from this date on (YYYY-MM-DD)")
    db_arg(export)
    export.set_defaults(func=cmd_export)

    backfill = sub.add_parser(
        "ingest-urls",
        help="store the articles behind URLs found outside feeds (a list or a sitemap)",
        description="Push article URLs through the nightly stages (fetch, extract, dedupe, "
        "countries, store, alerts) with the same limits and run record.",
    )
    backfill.add_argument("source", nargs="?", help="file with one URL per line; '-' for stdin")
    backfill.add_argument("--sitemap", help="a sitemap or sitemap index URL")
    db_arg(backfill)
    fetch_args(backfill)
    backfill.set_defaults(func=cmd_ingest_urls)

    for name, func, text in (
        ("backup", cmd_backup, "export the warehouse (schema + Parquet) into an empty folder"),
        (
            "restore",
            cmd_restore,
            "replace the warehouse with a backup (the old file is kept as <db>.before-restore)",
        ),
    ):
        cmd = sub.add_parser(
            name, help=text, description=text[:1].upper() + text[1:] + "; runs under the run lock."
        )
        cmd.add_argument("folder", help="backup folder")
        db_arg(cmd)
        cmd.set_defaults(func=func)

    search_cmd = sub.add_parser(
        "search",
        help="full-text search over stored originals",
        description="Search the stored originals: BM25 ranking through DuckDB's fts extension "
        "(shipped as the duckdb-extension-fts package) over the last NEWSDESK_SEARCH_DAYS days, "
        "then older originals by substring; without the extension, a substring match ranked "
        "by term counts.",
    )
    search_cmd.add_argument("terms", help="words to look for (all must occur)")
    search_cmd.add_argument("--since", help="only articles fetched on or after YYYY-MM-DD")
    search_cmd.add_argument("--country", help="only articles mentioning this ISO code")
    search_cmd.add_argument(
        "--limit", type=int, default=20, help="how many articles to list (default 20)"
    )
    search_cmd.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="output format (default table)",
    )
    db_arg(search_cmd)
    search_cmd.set_defaults(func=cmd_search)

    report = sub.add_parser(
        "report",
        help="write a self-contained HTML report and a PNG chart",
        description="Country mentions over the last days (chart), new countries with their "
        "articles, the most syndicated stories and feed health, as one HTML page that needs "
        "no network, plus the chart as PNG.",
    )
    report.add_argument("--days", type=int, default=14, help="period in days (default 14)")
    report.add_argument("--out", default="report", help="output folder (default ./report)")
    db_arg(report)
    report.set_defaults(func=cmd_report)

    reext = sub.add_parser(
        "reextract",
        help="extract archived pages again (no fetching)",
        description="Re-run extraction, duplicate detection and country detection over the "
        "archived page bodies, e.g. after upgrading trafilatura or the detector.",
    )
    db_arg(reext)
    reext.add_argument("--since", help="only pages fetched on or after this date (YYYY-MM-DD)")
    reext.set_defaults(func=cmd_reextract)

    index = sub.add_parser(
        "dedupe-index",
        help="build the near-duplicate index of an existing warehouse",
        description="Index every stored original that the near-duplicate index lacks "
        "(all of them with --rebuild). Runs need no separate step: each run does this first.",
    )
    db_arg(index)
    index.add_argument("--rebuild", action="store_true", help="drop and rebuild the whole index")
    index.set_defaults(func=cmd_dedupe_index)

    serve_cmd = sub.add_parser(
        "serve",
        help="run the nightly schedule (starts a local Prefect server if none is set)",
        description="Serve the nightly deployment of deployments/prefect.yaml. Without "
        "PREFECT_API_URL a local Prefect server is started as a child process and stopped on "
        "exit. Stop with Ctrl-C.",
    )
    serve_cmd.add_argument(
        "--prefect-file", help="deployment file (default deployments/prefect.yaml)"
    )
    serve_cmd.add_argument(
        "--check", action="store_true", help="register the deployment, print its schedule and stop"
    )
    serve_cmd.set_defaults(func=cmd_serve)

    countries = sub.add_parser(
        "countries",
        help="print the countries a text mentions",
        description="Print one JSON line per input with the countries it "
        "mentions, using the detector the flow uses.",
    )
    countries.add_argument("files", nargs="*", help="text files; '-' or none reads stdin")
    countries.set_defaults(func=cmd_countries)
    return parser


# Commands that run a flow, and so start processes (Prefect's temporary server, extraction
# workers) that must end with them: run under a supervisor from the command line.
SUPERVISED_COMMANDS = frozenset({"run", "demo", "reextract", "ingest-urls", "serve"})


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if argv is None and args.command in SUPERVISED_COMMANDS:
        from flows.supervise import supervised

        code = supervised(sys.argv[1:])
        if code is not None:
            return code
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"newsdesk: {exc}", file=sys.stderr)
        return exc.code


if __name__ == "__main__":
    sys.exit(main())
