"""The whole nightly flow on a synthetic loopback site: a first run into a fresh warehouse and
a second run with nothing new (every feed answers 304), with Prefect's start-up apart."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.isolated import isolated
from benchmarks.sites import SiteSpec, serve_hosts_process

FEEDS = 50
PAGES_PER_FEED = 10
HOSTS = 8


def prefect_startup() -> float:
    """Wall time of an empty flow: the ephemeral server's start plus Prefect's per-flow cost."""
    from prefect import flow

    @flow(name="newsdesk-empty")
    def empty() -> int:
        return 1

    started = time.perf_counter()
    empty()
    return time.perf_counter() - started


def run() -> dict[str, Any]:
    return isolated(_as_the_command_runs)


def _as_the_command_runs() -> dict[str, Any]:
    """As ``newsdesk run`` runs the flow: extraction forkserver started first, then the
    command's Prefect settings (cli/)."""
    from flows.environment import prefect_run
    from ingest.extract import start_forkserver

    start_forkserver()
    with prefect_run():
        return _run()


def _run() -> dict[str, Any]:
    from flows.nightly import nightly

    startup = prefect_startup()
    spec = SiteSpec(feeds=FEEDS, pages_per_feed=PAGES_PER_FEED)
    out: dict[str, Any] = {
        "prefect_startup_s": startup,
        "feeds": FEEDS,
        "pages": FEEDS * PAGES_PER_FEED,
    }
    with serve_hosts_process(spec, HOSTS) as (bases, hits), tempfile.TemporaryDirectory() as tmp:
        feeds = Path(tmp) / "feeds.toml"
        feeds.write_text(
            "".join(
                f'[[feeds]]\nurl = "{bases[k % HOSTS]}/feed/{k}.xml"\nname = "Feed {k}"\n'
                for k in range(FEEDS)
            )
        )
        db = Path(tmp) / "bench.duckdb"
        hosts = [b.split("//")[1].split(":")[0] for b in bases]
        for label in ("first", "second"):
            before = hits()
            started = time.perf_counter()
            summary = nightly(feeds_file=str(feeds), db_path=str(db), allow_hosts=hosts)
            wall = time.perf_counter() - started
            after = hits()
            page_hits = sum(
                v - before.get(k, 0) for k, v in after.items() if k.startswith("/page/")
            )
            out[label] = {
                "wall_s": wall,
                "in_flow_s": summary.seconds,
                "pages_fetched": page_hits,
                "feed_bodies_parsed": _parsed_this_run(db, summary.run_id),
                "extractions": summary.articles_stored + summary.pages_failed,
                "articles_stored": summary.articles_stored,
                "pages_per_s": summary.pages_fetched / wall if summary.pages_fetched else 0.0,
            }
    return out


def _parsed_this_run(db: Path, run_id: str) -> int:
    """Feeds whose body was parsed in this run: fetched with a 200 and a new body."""
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT count(*) FROM feeds f WHERE f.last_status IN ('ok', 'malformed') AND "
        "f.last_fetched_at >= (SELECT started_at FROM runs WHERE run_id = ?)",
        [run_id],
    ).fetchone()
    con.close()
    return int(rows[0]) if rows else 0


def report(r: dict[str, Any]) -> list[str]:
    first, second = r["first"], r["second"]
    beyond = second["wall_s"]
    verdict = (
        "met"
        if beyond <= 2
        and second["pages_fetched"] == 0
        and second["extractions"] == 0
        and second["feed_bodies_parsed"] == 0
        else "NOT met"
    )
    return [
        "## Nightly flow on a synthetic site: first run and a run with nothing new (issues 3, 7)",
        "",
        f"{r['feeds']} RSS feeds × {r['pages'] // r['feeds']} synthetic article pages on "
        f"{HOSTS} loopback hosts (no artificial delay), the whole flow in Prefect's ephemeral "
        "mode. Prefect's fixed start-up (ephemeral server and an empty flow) is measured "
        "apart and is not part of the run times below.",
        "",
        "| measure | first run | second run (all feeds 304) |",
        "|---|---|---|",
        f"| wall time of the flow call | {first['wall_s']:.2f} s | {second['wall_s']:.2f} s |",
        f"| pages fetched | {first['pages_fetched']} | {second['pages_fetched']} |",
        f"| feed bodies parsed | {first['feed_bodies_parsed']} | {second['feed_bodies_parsed']} |",
        f"| extractions | {first['extractions']} | {second['extractions']} |",
        f"| articles stored | {first['articles_stored']} | {second['articles_stored']} |",
        f"| pages/s | {first['pages_per_s']:.0f} | – |",
        "",
        f"Prefect start-up, reported apart: {r['prefect_startup_s']:.1f} s. Target for the "
        f"second run: ≤ 2 s beyond start-up, 0 pages, 0 extractions: **{verdict}**.",
    ]


if __name__ == "__main__":
    print(run())
