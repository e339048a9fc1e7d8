"""The commands that run a flow: ``run``, ``demo``, ``ingest-urls``, ``reextract``, ``serve``.

Each checks its inputs before Prefect starts (seconds saved on a typo, and no run recorded for
it), takes the warehouse's run lock so a second command waits or says who is in the way, and
passes the flow its settings as the strings a deployment would."""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cli.errors import EXIT_NO_FEED_FETCHED, EXIT_OK, EXIT_RUN_FAILED, CliError
from cli.output import print_rows, print_summary, say
from cli.reading import open_warehouse, require_warehouse
from ingest.errors import NewsdeskError, write_failure
from ingest.models import RunSummary
from ingest.settings import Settings


@contextlib.contextmanager
def _run_lock(settings: Settings, holder: str) -> Iterator[None]:
    """The warehouse's run lock, taken before Prefect starts: a second command says who is in
    the way in milliseconds, not after seconds of start-up, and the preflight can open the
    file (DuckDB refuses a second writer). The flow takes the lock too, as a deployment's run
    must; in this process that is the same lock, held again (``warehouse.lock``)."""
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


def _flow_failed(exc: Exception) -> int:
    cause = write_failure(exc)
    if cause:
        say(
            f"run failed: cannot write (disk full or read-only?): {cause}. "
            "Batches committed before it are kept; the next run goes on from there."
        )
    else:
        say(f"run failed: {exc.__class__.__name__}: {exc}")
    return EXIT_RUN_FAILED


def nothing_fetched(summary: RunSummary) -> bool:
    """Feeds were due and not one of them could be fetched: the network, a proxy or the feed
    list is broken, which cron must hear about (some feeds failing is a normal night)."""
    due = summary.feeds_total - summary.feeds_skipped
    return bool(due > 0 and summary.feeds_ok == 0)


def run_nightly(settings: Settings) -> int:
    """The nightly flow, once, now; its summary on stdout."""
    from pipeline.run import preflight

    with _run_lock(settings, "newsdesk run (starting)"):
        preflight(settings)
        from flows.environment import prefect_run, use_prefect_defaults

        use_prefect_defaults()
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
        except NewsdeskError:
            raise
        except Exception as exc:
            return _flow_failed(exc)
    print_summary(summary)
    if nothing_fetched(summary):
        due = summary.feeds_total - summary.feeds_skipped
        say(
            f"no feed could be fetched ({due} due, {summary.feeds_failed} failed): "
            "is the network down, or the feed list wrong?"
        )
        return EXIT_NO_FEED_FETCHED
    return EXIT_OK


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    return run_nightly(settings)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from flows.demo import DEMO_PORT, serve_site, write_feed_list
    from warehouse.queries import DEMO_QUERIES

    port = DEMO_PORT if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise CliError(f"--port {port} is not a port (0 to 65535)")
    try:
        site = serve_site(port=port)
        base_url = site.__enter__().url
    except OSError as exc:
        raise CliError(
            f"cannot serve the demo site on 127.0.0.1:{port}: {exc} (choose another with --port)"
        ) from None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            feeds = write_feed_list(base_url, Path(tmp) / "feeds.toml")
            print(f"demo site at {base_url} (feeds: /harbor/rss.xml, /courier/atom.xml)")
            code = run_nightly(
                settings.model_copy(update={"feeds": feeds, "allow_hosts": ["127.0.0.1"]})
            )
    finally:
        site.__exit__(None, None, None)
    if code == EXIT_OK:
        con = open_warehouse(settings.db)
        try:
            for title, sql in DEMO_QUERIES:
                cur = con.execute(sql)
                print(f"\n{title}")
                print_rows(([d[0] for d in cur.description or []], cur.fetchall()))
        finally:
            con.close()
        print()
    return code


def _read_url_list(source: str) -> list[str]:
    from ingest.url_lists import read_url_list

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {source}: {exc}") from None
    urls, rejected = read_url_list(text)
    for line in rejected:
        say(f"{source}: {line}")
    return urls


def cmd_ingest_urls(args: argparse.Namespace, settings: Settings) -> int:
    if not args.source and not args.sitemap:
        raise CliError("give a file of URLs ('-' for stdin) or --sitemap URL")
    urls = _read_url_list(args.source) if args.source else []
    from flows.environment import prefect_run

    with prefect_run():
        from flows.ingest_urls import ingest_urls

        summary = ingest_urls(
            urls=urls,
            sitemap=args.sitemap,
            source=f"urls:{args.source or ''}",
            db_path=str(settings.db),
            seeds_dir=str(settings.seeds_dir),
            allow_hosts=list(settings.allow_hosts),
        )
    print_summary(summary)
    return EXIT_OK


def cmd_reextract(args: argparse.Namespace, settings: Settings) -> int:
    from warehouse.store import archive_stats

    require_warehouse(settings.db)
    open_warehouse(settings.db, read_only=False).close()  # unusable: say so before Prefect starts
    from flows.environment import prefect_run

    with prefect_run():
        from flows.reextract import reextract

        s = reextract(db_path=str(settings.db), since=args.since)
    print(
        f"reextract {s.run_id}: {s.pages_fetched} archived pages, "
        f"{s.articles_stored} articles written, {s.pages_failed} without text, "
        f"{s.duplicates} duplicates, {s.alerts_raised} new countries"
        + (f": {', '.join(s.new_countries)}" if s.new_countries else "")
    )
    con = open_warehouse(settings.db)
    try:
        pages, raw, stored = archive_stats(con)
    finally:
        con.close()
    if pages:
        print(
            f"archive: {pages} pages, {stored / pages / 1024:.1f} KB per page stored "
            f"({raw / pages / 1024:.1f} KB raw, {raw / max(stored, 1):.1f}x smaller)"
        )
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from flows.environment import use_prefect_defaults

    use_prefect_defaults()
    from flows.serve import PREFECT_YAML, serve

    return serve(Path(args.prefect_file) if args.prefect_file else PREFECT_YAML, args.check)
