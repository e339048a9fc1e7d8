"""The commands that run a flow: ``run``, ``demo``, ``ingest-urls``, ``reextract``, ``serve``.

Each goes through ``run_flow``: the run lock, its inputs checked before Prefect starts, and
the flow given its settings as the strings a deployment gives it (the flows' parameters are
the deployment boundary)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from cli.errors import EXIT_FAILED, EXIT_NO_FEED_FETCHED, EXIT_OK, CliError
from cli.output import print_poll, print_rows, print_summary, say
from cli.reading import locked, open_warehouse, require_warehouse
from ingest.errors import NewsdeskError, write_failure
from ingest.models import RunSummary
from ingest.settings import Settings
from pipeline.run import preflight


def _flow_failed(exc: Exception) -> CliError:
    cause = write_failure(exc)
    if cause:
        return CliError(
            f"run failed: cannot write (disk full or read-only?): {cause}. "
            "Batches committed before it are kept; the next run goes on from there.",
            EXIT_FAILED,
        )
    return CliError(f"run failed: {exc.__class__.__name__}: {exc}", EXIT_FAILED)


def run_flow(
    settings: Settings,
    command: str,
    start: Callable[[], RunSummary],
    check: Callable[[Settings], None] = preflight,
) -> RunSummary:
    """What every flow command does around its flow: the run lock, the inputs checked before
    Prefect starts (seconds saved on a typo, and no run recorded for it), Prefect's settings,
    and a failed flow turned into one line and exit 1 (its record says the rest)."""
    with locked(settings, f"newsdesk {command} (starting)"):
        check(settings)
        from flows.environment import prefect_run

        try:
            with prefect_run():
                return start()
        except NewsdeskError:
            raise
        except Exception as exc:
            raise _flow_failed(exc) from None


def nothing_fetched(summary: RunSummary) -> bool:
    """Feeds were due and not one of them could be fetched: the network, a proxy or the feed
    list is broken, which cron must hear about (some feeds failing is a normal night)."""
    due = summary.feeds_total - summary.feeds_skipped
    return bool(due > 0 and summary.feeds_ok == 0)


def run_nightly(settings: Settings) -> int:
    """The nightly flow, once, now; its summary on stdout."""

    def start() -> RunSummary:
        from ingest.extract import start_forkserver

        if not settings.dask_address:
            start_forkserver(settings.extract_workers)  # workers' code loads while Prefect starts
        from flows import progress
        from flows.nightly import flow_for

        with progress.display():
            summary: RunSummary = flow_for(settings)(
                feeds_file=str(settings.feeds),
                db_path=str(settings.db),
                seeds_dir=str(settings.seeds_dir),
                allow_hosts=list(settings.allow_hosts),
            )
        return summary

    summary = run_flow(settings, "run", start)
    print_summary(summary)
    if nothing_fetched(summary):
        due = summary.feeds_total - summary.feeds_skipped
        raise CliError(
            f"no feed could be fetched ({due} due, {summary.feeds_failed} failed): "
            "is the network down, or the feed list wrong?",
            EXIT_NO_FEED_FETCHED,
        )
    return EXIT_OK


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    return run_nightly(settings)


def cmd_poll(args: argparse.Namespace, settings: Settings) -> int:
    """One intra-day poll, without Prefect (its server's start would cost more than the poll;
    the deployment runs it as a flow). It takes the run lock itself, twice and briefly
    (``pipeline.poll``), so it does not go through ``run_flow``; a run holding the warehouse
    is no error: the poll gives up in one line, exit 0."""
    from ingest.feed_list import load_feed_list
    from warehouse.lock import holder, is_held

    if is_held(settings.db):
        run = holder(settings.db).get("run") or "another run"
        print(f"newsdesk: poll skipped: {run} holds the warehouse")
        return EXIT_OK
    from pipeline.poll import run_poll

    specs = load_feed_list(settings.feeds)
    summary = run_poll(settings, specs, args.every_feed)
    print_poll(summary)
    return EXIT_OK


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

    def start() -> RunSummary:
        from flows.ingest_urls import ingest_urls

        return ingest_urls(
            urls=urls,
            sitemap=args.sitemap,
            source=f"urls:{args.source or ''}",
            db_path=str(settings.db),
            seeds_dir=str(settings.seeds_dir),
            allow_hosts=list(settings.allow_hosts),
        )

    print_summary(run_flow(settings, "ingest-urls", start, lambda s: preflight(s, feeds=False)))
    return EXIT_OK


def _archive_line(settings: Settings) -> str | None:
    from warehouse.store import archive_stats

    con = open_warehouse(settings.db)
    try:
        pages, raw, stored = archive_stats(con)
    finally:
        con.close()
    if not pages:
        return None
    return (
        f"archive: {pages} pages, {stored / pages / 1024:.1f} KB per page stored "
        f"({raw / pages / 1024:.1f} KB raw, {raw / max(stored, 1):.1f}x smaller)"
    )


def cmd_reextract(args: argparse.Namespace, settings: Settings) -> int:
    require_warehouse(settings.db)

    def start() -> RunSummary:
        from flows.reextract import reextract

        return reextract(db_path=str(settings.db), since=args.since)

    s = run_flow(settings, "reextract", start, lambda s: preflight(s, feeds=False, seeds=False))
    print(
        f"reextract {s.run_id}: {s.pages_fetched} archived pages, "
        f"{s.articles_stored} articles written, {s.pages_failed} without text, "
        f"{s.duplicates} duplicates, {s.alerts_raised} new countries"
        + (f": {', '.join(s.new_countries)}" if s.new_countries else "")
    )
    archive = _archive_line(settings)
    if archive:
        print(archive)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from flows.environment import use_prefect_defaults

    use_prefect_defaults()
    from flows.serve import PREFECT_YAML, serve

    return serve(
        settings, Path(args.prefect_file) if args.prefect_file else PREFECT_YAML, args.check
    )
