"""End to end on real pages: the shared corpus served on loopback behind RSS feeds, the
nightly flow into a fresh warehouse, against the extraction floor (trafilatura alone on the same
bytes over the same number of processes). Also peak memory at 5,000 pages (the corpus repeated
under distinct URLs), each in its own process."""

from __future__ import annotations

import functools
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.corpus import CORPUS, available, manifest
from benchmarks.isolated import isolated, peak_mb
from benchmarks.sites import SiteSpec, serve_hosts_process

HOSTS = 4
PER_FEED = 25
# Floor-then-pipeline rounds; the round with the median ratio is reported. This machine's speed
# drifts by 20-30 % within minutes, and one round's ratio ranges over about 0.2.
ROUNDS = 5


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

    from ingest.extract import TRAFILATURA_OPTIONS

    trafilatura.bare_extraction(content, url="https://x.example/a", **TRAFILATURA_OPTIONS)


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


ROLES = (
    ("forkserver", "extraction (forkserver and workers)"),
    ("uvicorn", "Prefect server"),
    ("multiprocessing.spawn", "loopback site"),
)


def _procs() -> dict[int, tuple[int, str, float]]:
    """pid → (parent pid, command line, CPU seconds including reaped children)."""
    ticks = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[int, str, float]] = {}
    for name in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
            cmd = Path(f"/proc/{name}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        procs[int(name)] = (int(fields[1]), cmd, sum(int(f) for f in fields[11:15]) / ticks)
    return procs


def _cpu_seconds() -> dict[str, float]:
    """CPU seconds so far of this process and its children, by role. A process's figure
    includes its reaped children: the forkserver's includes the extraction workers, which
    have all exited when the flow returns."""
    procs = _procs()
    me = os.getpid()
    out: dict[str, float] = {"flow process": procs[me][2]}
    for parent, cmd, cpu in procs.values():
        if parent != me:
            continue
        role = next((label for key, label in ROLES if key in cmd), "other")
        out[role] = out.get(role, 0.0) + cpu
    return out


def _children() -> list[int]:
    me = os.getpid()
    return [pid for pid, (parent, _cmd, _cpu) in _procs().items() if parent == me]


def _pipeline(copies: int) -> dict[str, Any]:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from flows.environment import prefect_run
    from ingest.extract import start_forkserver

    start_forkserver()  # as ``newsdesk run`` does: the workers' code loads while Prefect starts
    with prefect_run():
        return _measure(copies)


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
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        summary = nightly(
            feeds_file=str(feeds),
            db_path=str(Path(tmp) / "e2e.duckdb"),
            allow_hosts=[b.split("//")[1].split(":")[0] for b in bases],
        )
        wall = time.perf_counter() - started
        cpu = {k: v - cpu_before.get(k, 0.0) for k, v in _cpu_seconds().items()}
        children_peak = max((peak_mb(pid) for pid in _children()), default=0.0)
    return {
        "pages": summary.pages_fetched,
        "stored": summary.articles_stored,
        "failed": summary.pages_failed,
        "wall_s": wall,
        "cpu_s": cpu,
        "prefect_startup_s": startup,
        "peak_rss_mb": peak_mb("self"),
        "children_peak_rss_mb": children_peak,
    }


def run() -> dict[str, Any]:
    if not available():
        return {"skipped": "../shared/corpus not found"}
    workers = min(os.cpu_count() or 1, 4)
    contents = list(_pages(1).values())
    # Each run of the pipeline is compared with floors measured just before it: this machine's
    # speed drifts by 20-30 % within minutes, which medians taken minutes apart would mix in.
    rounds = []
    for _ in range(ROUNDS):
        plain = floor(contents, workers)
        warm = floor(contents, workers, warm_dates=True)
        rounds.append((plain, warm, isolated(_pipeline, 1)))
    rounds.sort(key=lambda r: r[2]["wall_s"] / r[0])
    plain, warm, median = rounds[ROUNDS // 2]
    memory = isolated(_pipeline, 17)
    return {
        "pages": len(contents),
        "workers": workers,
        "floor_s": plain,
        "warm_floor_s": warm,
        "e2e": median,
        "ratio": median["wall_s"] / plain,
        "ratios": [r[2]["wall_s"] / r[0] for r in rounds],
        "warm_ratios": [r[2]["wall_s"] / r[1] for r in rounds],
        "memory": memory,
    }


def _listed(values: list[float] | None) -> str:
    return ", ".join(f"{v:.2f}" for v in sorted(values or []))


def report(r: dict[str, Any]) -> list[str]:
    if "skipped" in r:
        return ["## End to end on real pages (issue 7)", "", f"Skipped: {r['skipped']}."]
    e2e, mem = r["e2e"], r["memory"]
    warm = r.get("warm_floor_s") or r["floor_s"]
    pages = mem["pages"] / r["pages"]
    cpu = e2e.get("cpu_s", {})
    return [
        "## End to end on real pages (issue 7)",
        "",
        f"The {r['pages']} article pages of the shared corpus (development split) on "
        f"{HOSTS} loopback hosts behind RSS feeds of {PER_FEED} entries; the nightly flow into a "
        "fresh warehouse, in its own process, as `newsdesk run` starts it (the extraction "
        "forkserver first, so its workers' code loads while Prefect starts; no flow-run "
        "heartbeats). Five rounds, each a floor then the pipeline, so that both see the "
        "machine at the same speed; the round with the median ratio is shown.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| extraction floor: trafilatura alone on the same bytes, a plain pool of "
        f"{r['workers']} processes (each warmed on 2 pages) | {r['floor_s']:.2f} s | |",
        f"| stricter floor: the same, each worker having compiled dateparser's locale tables "
        f"beforehand, as the pipeline's workers have | {warm:.2f} s | |",
        f"| nightly flow, wall time (Prefect start-up excluded) | {e2e['wall_s']:.2f} s "
        f"({e2e['pages'] / e2e['wall_s']:.1f} pages/s) | |",
        f"| ratio pipeline / floor | **{e2e['wall_s'] / r['floor_s']:.2f}** "
        f"(rounds: {_listed(r.get('ratios'))}) | ≤ 1.15 |",
        f"| ratio pipeline / stricter floor | **{e2e['wall_s'] / warm:.2f}** "
        f"(rounds: {_listed(r.get('warm_ratios'))}) | |",
        f"| at {mem['pages']:,} pages: wall time, and ratio to each floor scaled by page count | "
        f"{mem['wall_s']:.1f} s, **{mem['wall_s'] / (r['floor_s'] * pages):.2f}** / "
        f"**{mem['wall_s'] / (warm * pages):.2f}** | ≤ 1.15 |",
        f"| Prefect's fixed start-up (ephemeral server + empty flow), apart | "
        f"{e2e['prefect_startup_s']:.1f} s | |",
        f"| pages stored / failed | {e2e['stored']} / {e2e['failed']} | |",
        "| CPU seconds during the run, by process | "
        + ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]))
        + " | |",
        f"| peak RSS at {mem['pages']:,} pages: flow process / largest child (the loopback "
        "site holding every page, the Prefect server, the extraction forkserver) | "
        f"{mem['peak_rss_mb']:.0f} MB / {mem['children_peak_rss_mb']:.0f} MB | < 1 GiB |",
        f"| peak RSS at {e2e['pages']} pages (same processes) | {e2e['peak_rss_mb']:.0f} MB / "
        f"{e2e['children_peak_rss_mb']:.0f} MB | sublinear |",
        "",
        "The floors differ by dateparser: htmldate hands it the odd date string, and its first "
        "call compiles the patterns of 200 locales (1.4 s of CPU), which each worker of a plain "
        "pool does on the fly. The pipeline's workers fork from a forkserver that did it once "
        "(ingest/prewarm.py), which is why it is compared with both. On two cores every CPU "
        "second outside the extraction workers comes out of extraction's share: the flow "
        "process fetches the pages (httpx, one client per run), checks duplicates, writes "
        "batches and the archive (DuckDB on one thread while the pool works), runs two Prefect "
        "tasks per batch (about 7 ms of CPU each, flow and server together) and keeps the "
        "BM25 index up to date (about 1 ms per article, while the last batch is extracted). "
        "What cannot overlap extraction is the start (flow run, feeds: until the first 10 "
        "pages are in, about 0.33 s) and the end (the last batch stored, the alerts while "
        "the index takes that batch, checkpoint, snapshot: about 0.35 s).",
    ]


if __name__ == "__main__":
    print(run())
