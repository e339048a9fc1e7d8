"""End to end on real pages: the shared corpus served on loopback behind RSS feeds, the
nightly flow into a fresh warehouse, against the extraction floor (trafilatura alone on the same
bytes over the same number of processes). Also peak memory at 5,000 pages (the corpus repeated
under distinct URLs), each in its own process."""

from __future__ import annotations

import functools
import multiprocessing
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.corpus import CORPUS, available, manifest
from benchmarks.sites import SiteSpec, serve_hosts_process

HOSTS = 4
PER_FEED = 25


def _pages(copies: int) -> dict[str, bytes]:
    rows = [r for r in manifest() if r["kind"] == "article"]
    pages = {}
    for c in range(copies):
        for r in rows:
            pages[f"/c{c}/{r['id']}.html"] = (CORPUS / str(r["file"])).read_bytes()
    return pages


def _feed_paths(copies: int) -> list[str]:
    count = sum(1 for r in manifest() if r["kind"] == "article") * copies
    return [f"/feeds/{k}.xml" for k in range((count + PER_FEED - 1) // PER_FEED)]


def _site(copies: int) -> tuple[SiteSpec, list[str]]:
    pages = _pages(copies)
    paths = sorted(pages)
    feeds = []
    for k in range(0, len(paths), PER_FEED):
        items = "".join(
            f"<item><title>p{n}</title><link>{{base}}{p}</link></item>"
            for n, p in enumerate(paths[k : k + PER_FEED])
        )
        path = f"/feeds/{k // PER_FEED}.xml"
        pages[path] = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>{path}</title>'
            f"{items}</channel></rss>"
        ).encode()
        feeds.append(path)
    return SiteSpec(pages=pages), feeds


def _site_only(copies: int) -> SiteSpec:
    return _site(copies)[0]


def _floor_one(content: bytes) -> None:
    import trafilatura

    trafilatura.bare_extraction(
        content,
        url="https://x.example/a",
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        deduplicate=False,
    )


def _warm_dates() -> None:
    from htmldate.extractors import get_external_parser

    get_external_parser().get_date_data("Published Tuesday 12 Qwxz 2024")


def floor(contents: list[bytes], workers: int, warm_dates: bool = False) -> float:
    """trafilatura alone over a plain process pool, each worker warmed on two pages; with
    ``warm_dates`` each worker has also compiled dateparser's locale tables beforehand (which
    the pipeline's workers inherit from their forkserver) instead of on the fly."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_warm_dates if warm_dates else None
    ) as pool:
        list(pool.map(_floor_one, contents[: workers * 2]))  # warm the workers
        started = time.perf_counter()
        list(pool.map(_floor_one, contents, chunksize=2))
        return time.perf_counter() - started


def _pipeline(copies: int, conn: Any) -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from flows.cli import prefect_run
    from ingest.extract import start_forkserver

    start_forkserver()  # as ``newsdesk run`` does: the workers' code loads while Prefect starts
    with prefect_run():
        conn.send(_measure(copies))


def _measure(copies: int) -> dict[str, Any]:
    from benchmarks.bench_pipeline import prefect_startup
    from flows.nightly import nightly

    startup = prefect_startup()
    feed_paths = _feed_paths(copies)
    site = functools.partial(_site_only, copies)
    with serve_hosts_process(site, HOSTS) as (bases, _), tempfile.TemporaryDirectory() as tmp:
        feeds = Path(tmp) / "feeds.toml"
        feeds.write_text(
            "".join(
                f'[[feeds]]\nurl = "{bases[i % HOSTS]}{p}"\nname = "{p}"\n'
                for i, p in enumerate(feed_paths)
            )
        )
        started = time.perf_counter()
        summary = nightly(
            feeds_file=str(feeds),
            db_path=str(Path(tmp) / "e2e.duckdb"),
            allow_hosts=[b.split("//")[1].split(":")[0] for b in bases],
        )
        wall = time.perf_counter() - started
    return {
        "pages": summary.pages_fetched,
        "stored": summary.articles_stored,
        "failed": summary.pages_failed,
        "wall_s": wall,
        "prefect_startup_s": startup,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def _in_process(copies: int) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_pipeline, args=(copies, child))
    proc.start()
    result: dict[str, Any] = parent.recv()
    proc.join()
    return result


def run() -> dict[str, Any]:
    if not available():
        return {"skipped": "../shared/corpus not found"}
    workers = min(os.cpu_count() or 1, 4)
    contents = list(_pages(1).values())
    floors = sorted(floor(contents, workers) for _ in range(3))
    warm_floors = sorted(floor(contents, workers, warm_dates=True) for _ in range(3))
    e2e = [_in_process(1) for _ in range(3)]
    e2e.sort(key=lambda r: r["wall_s"])
    median = e2e[1]
    memory = _in_process(17)
    return {
        "pages": len(contents),
        "workers": workers,
        "floor_s": floors[1],
        "warm_floor_s": warm_floors[1],
        "e2e": median,
        "ratio": median["wall_s"] / floors[1],
        "memory": memory,
    }


def report(r: dict[str, Any]) -> list[str]:
    if "skipped" in r:
        return ["## End to end on real pages (issue 7)", "", f"Skipped: {r['skipped']}."]
    e2e, mem = r["e2e"], r["memory"]
    scaled = mem["wall_s"] / (r["floor_s"] * mem["pages"] / r["pages"])
    return [
        "## End to end on real pages (issue 7)",
        "",
        f"The {r['pages']} article pages of the shared corpus (development split) on "
        f"{HOSTS} loopback hosts behind RSS feeds of {PER_FEED} entries; the nightly flow into a "
        "fresh warehouse, in its own process; medians of 3.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| extraction floor: trafilatura alone, same bytes, {r['workers']} processes | "
        f"{r['floor_s']:.2f} s | |",
        f"| nightly flow, wall time (Prefect start-up excluded) | {e2e['wall_s']:.2f} s "
        f"({e2e['pages'] / e2e['wall_s']:.1f} pages/s) | |",
        f"| ratio pipeline / floor | **{r['ratio']:.2f}** | ≤ 1.15 |",
        f"| at {mem['pages']:,} pages: wall time, and ratio to the floor scaled by page count | "
        f"{mem['wall_s']:.1f} s, **{scaled:.2f}** | ≤ 1.15 |",
        f"| Prefect's fixed start-up (ephemeral server + empty flow), apart | "
        f"{e2e['prefect_startup_s']:.1f} s | |",
        f"| pages stored / failed | {e2e['stored']} / {e2e['failed']} | |",
        f"| peak RSS at {mem['pages']:,} pages: flow process / largest child (the loopback "
        "site holding every page, the Prefect server, extraction workers) | "
        f"{mem['peak_rss_mb']:.0f} MB / {mem['children_peak_rss_mb']:.0f} MB | < 1 GiB |",
        f"| peak RSS at {e2e['pages']} pages (same processes) | {e2e['peak_rss_mb']:.0f} MB / "
        f"{e2e['children_peak_rss_mb']:.0f} MB | sublinear |",
        "",
        "Where the gap to the floor goes: fixed costs that a 300-page run cannot amortize (the "
        "process pool's start, each worker importing trafilatura and building the country "
        "automaton, the first batch's fetch), then per-batch work in the flow process that does "
        "not overlap extraction yet: the near-duplicate index lookups, the bulk insert and "
        "zstd compression of the archive. Signatures and country detection already run in the "
        "extraction workers, and fetching overlaps extraction.",
    ]


if __name__ == "__main__":
    print(run())
