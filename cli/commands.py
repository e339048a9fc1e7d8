"""Every ``newsdesk`` command, one row each; the parser and ``--help`` are built from this."""

from __future__ import annotations

from cli.output import FORMATS
from cli.parser import Arg, Command, arg, at_least, date

DB = arg("--db", help="DuckDB warehouse file (env NEWSDESK_DB; default newsdesk.duckdb)")
FEEDS = arg("--feeds", help="feed list, TOML or OPML (env NEWSDESK_FEEDS)")
SEEDS = arg("--seeds", help="folder of seed *.txt files (env NEWSDESK_SEEDS_DIR)")
ALLOW_HOST = arg(
    "--allow-host",
    action="append",
    metavar="HOST",
    help="allow fetching from this host, or from every address of this CIDR range (e.g. "
    "127.0.0.0/8), even on a private or loopback address (repeatable; env NEWSDESK_ALLOW_HOSTS)",
)
FORMAT = arg(
    "--format",
    choices=FORMATS,
    default="table",
    help="output format: table (aligned text, the default), csv (with a header line) or json "
    "(JSON lines: one object a row, keyed by column)",
)


def since(what: str) -> Arg:
    return arg("--since", type=date, help=f"only {what} on or after this date (YYYY-MM-DD)")


COMMANDS = (
    Command(
        "run",
        "running:cmd_run",
        "run the nightly flow once, now",
        "Run the nightly flow once and print a summary. Exit 0 when the run completed (failed "
        "feeds are recorded and named); 1 when the run failed; 2 for a bad feeds file, bad "
        "seeds, a bad alert URL or an unusable database; 3 when another run holds the "
        "warehouse; 4 when feeds were due and not one could be fetched.",
        (FEEDS, DB, SEEDS, ALLOW_HOST),
        supervised=True,
    ),
    Command(
        "poll",
        "running:cmd_poll",
        "read the feeds that may roll over before the night, queue their entries",
        "Fetch and parse the feeds due for an intra-day poll (those whose publication rate "
        "says their list turns over before the next night; see `newsdesk feeds`), queue their "
        "new entries for the nightly run and fetch no page. Exit 0 also when a run holds the "
        "warehouse (the poll gives up, said in one line); 2 for a bad feeds file or database.",
        (
            FEEDS,
            DB,
            ALLOW_HOST,
            arg("--every-feed", action="store_true", help="read every feed, due or not"),
        ),
    ),
    Command(
        "demo",
        "running:cmd_demo",
        "serve the bundled demo site on loopback and run on it",
        "Start a small loopback news site written for newsdesk, run the nightly flow against "
        "it, print what was stored.",
        (
            DB,
            SEEDS,
            arg(
                "--port",
                type=int,
                default=None,
                help="port of the demo site (default 8765; keep it fixed across runs)",
            ),
        ),
        supervised=True,
    ),
    Command(
        "query",
        "reading:cmd_query",
        "run a read-only SQL query on the warehouse",
        "Run a read-only SQL query and print the result.",
        (arg("sql", help="the SQL statement"), DB, FORMAT),
    ),
    Command(
        "feeds",
        "reading:cmd_feeds",
        "list the feeds with their health",
        "List every feed with its last status, consecutive failures, entries and backoff; "
        "failing feeds first.",
        (DB, FORMAT),
    ),
    Command(
        "status",
        "reading:cmd_status",
        "the last runs and the feeds that need attention",
        "Show the last runs (status, counts, errors) and the feeds that failed lately or are "
        "backing off.",
        (DB, arg("--runs", type=at_least(1), default=10, help="how many runs (default 10)")),
    ),
    Command(
        "export",
        "reading:cmd_export",
        "write date-partitioned Parquet, or bring a DuckLake up to date",
        "Export the warehouse as Hive-partitioned Parquet (year/month/day) for other engines; "
        "partitions already there are replaced. With --ducklake CATALOG, copy it into a "
        "DuckLake instead (a DuckDB-file catalog, or postgres:... ; Parquet data under "
        "--data-path) and keep it up to date: each export writes the new and changed rows in "
        "one snapshot, with the public views of docs/sql.md.",
        (
            arg("out", nargs="?", help="output folder (Parquet)"),
            arg("--ducklake", metavar="CATALOG", help="a DuckLake catalog to bring up to date"),
            arg(
                "--data-path",
                metavar="DIR",
                help="where the DuckLake keeps its Parquet files (default: CATALOG's folder, "
                "data/)",
            ),
            arg("--format", choices=("parquet",), default="parquet", help="Parquet only"),
            since("rows"),
            DB,
        ),
    ),
    Command(
        "ingest-urls",
        "running:cmd_ingest_urls",
        "store the articles behind URLs found outside feeds (a list or a sitemap)",
        "Push article URLs through the nightly stages (fetch, extract, dedupe, countries, "
        "store, alerts) with the same limits and run record.",
        (
            arg("source", nargs="?", help="file with one URL per line; '-' for stdin"),
            arg("--sitemap", help="a sitemap or sitemap index URL"),
            DB,
            SEEDS,
            ALLOW_HOST,
        ),
        supervised=True,
    ),
    Command(
        "backup",
        "upkeep:cmd_backup",
        "export the warehouse (schema + Parquet) into an empty folder",
        "Export the warehouse (schema + Parquet) into an empty folder; runs under the run lock.",
        (arg("folder", help="backup folder"), DB),
    ),
    Command(
        "restore",
        "upkeep:cmd_restore",
        "replace the warehouse with a backup (the old file is kept as <db>.before-restore)",
        "Replace the warehouse with a backup (the old file is kept as <db>.before-restore); "
        "runs under the run lock.",
        (arg("folder", help="backup folder"), DB),
    ),
    Command(
        "search",
        "reading:cmd_search",
        "full-text search over stored originals",
        "Search the stored originals and seeds: BM25 ranking through DuckDB's fts extension "
        "(shipped as the duckdb-extension-fts package) over the last NEWSDESK_SEARCH_DAYS days, "
        "then the others by how often the terms occur; without the extension, that count "
        'alone. A query: words (all must occur), "a phrase" in quotes, a OR b, -word or '
        '-"a phrase" (must not occur). A copy\'s headline leads to the story it copies. Each '
        "row: article_id, score (3 decimals), published_at, site_name, title, url, kind "
        "(article or seed) and snippet (the matched words in context; 'copy: ...' when only a "
        "copy's headline holds them).",
        (
            arg(
                "terms",
                help='the query: words, "phrases", OR, -word (quote it for the shell)',
            ),
            since("articles fetched"),
            arg("--country", help="only articles mentioning this ISO code"),
            arg("--limit", type=at_least(1), default=20, help="how many (default 20)"),
            FORMAT,
            DB,
        ),
    ),
    Command(
        "report",
        "reading:cmd_report",
        "write a self-contained HTML report and a PNG chart",
        "Country mentions over the last days (chart), new countries with their articles, the "
        "most syndicated stories and feed health, as one HTML page that needs no network, plus "
        "the chart as PNG.",
        (
            arg("--days", type=at_least(1), default=14, help="period in days (default 14)"),
            arg("--out", default="report", help="output folder (default ./report)"),
            DB,
        ),
    ),
    Command(
        "reextract",
        "running:cmd_reextract",
        "extract archived pages again (no fetching)",
        "Re-run extraction, duplicate detection and country detection over the archived page "
        "bodies, e.g. after upgrading trafilatura or the detector.",
        (DB, since("pages fetched")),
        supervised=True,
    ),
    Command(
        "dedupe-index",
        "upkeep:cmd_dedupe_index",
        "build the near-duplicate index of an existing warehouse",
        "Index every stored original that the near-duplicate index lacks (all of them with "
        "--rebuild). Runs need no separate step: each run does this first.",
        (DB, arg("--rebuild", action="store_true", help="drop and rebuild the whole index")),
    ),
    Command(
        "serve",
        "running:cmd_serve",
        "run the nightly and poll schedules (starts a local Prefect server if none is set)",
        "Serve the nightly and poll deployments of deployments/prefect.yaml. Without "
        "PREFECT_API_URL a "
        "local Prefect server is started as a child process and stopped on exit. Stop with "
        "Ctrl-C.",
        (
            arg("--prefect-file", help="deployment file (default deployments/prefect.yaml)"),
            arg("--check", action="store_true", help="register the deployments, show schedules"),
        ),
        supervised=True,
    ),
    Command(
        "countries",
        "upkeep:cmd_countries",
        "print the countries a text mentions",
        "Print one JSON line per input with the countries it mentions, using the detector the "
        "flow uses.",
        (arg("files", nargs="*", help="text files; '-' or none reads stdin"),),
    ),
)
