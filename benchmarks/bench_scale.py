"""A steady-state night at scale (issue 22): thousands of feeds on hundreds of loopback
addresses, most of them quiet.

A first ``newsdesk run`` stores one entry per feed; then 5 % of the feeds list new entries and
a second run is measured, as the command runs it (its own process, Prefect's ephemeral server,
the extraction pool). Its cost is reported beyond the fixed cost of the same command over one
unchanged feed, at 1,000 and at 10,000 feeds, with what the publishers saw (answers by status,
the most connections one address had open at once) and the peak memory of each process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.isolated import peak_mb
from benchmarks.many_feeds import Site, serving

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1_000, 10_000)
HOSTS = 250
CHANGED_EVERY = 20  # 5 % of the feeds
NEW_ENTRIES = 2
PER_HOST_LIMIT = 2
# A log line's clock, then its text: "18:20:01.123 | INFO    | Flow run 'x' - entries: ..."
LOG_LINE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) \|.*? - (.*)$")


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user and system)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def role(command: str) -> str:
    """What a process of a run is, from its command line."""
    for needle, name in (
        ("uvicorn", "Prefect server"),
        ("forkserver", "extraction"),
        ("resource_tracker", "resource tracker"),
        (" run --feeds", "flow"),
    ):
        if needle in command:
            return name
    return command[:40]


def run_command(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """``args`` to its end: wall time, output, and each process's peak RSS (sampled every
    0.1 s from /proc: Linux keeps a process's peak, VmHWM, until it exits)."""
    peaks: dict[int, tuple[str, float, float]] = {}
    started = time.perf_counter()
    proc = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in descendants(proc.pid):
                mb = peak_mb(pid)
                if mb:
                    try:
                        name = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                    except OSError:
                        continue
                    peaks[pid] = (role(name.decode(errors="replace")), mb, cpu_seconds(pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}:\n{err[-3000:]}")
    return {"wall_s": wall, "stdout": out, "stderr": err, "peaks": sorted(peaks.values())}


def phase_seconds(log: str) -> dict[str, float]:
    """Seconds from the flow run's start to its feed phase's end ("entries: … seen") and to
    its end, from the run's log lines."""
    stamps: dict[str, float] = {}
    for line in log.splitlines():
        m = LOG_LINE.match(line)
        if not m:
            continue
        h, mi, s, ms, text = m.groups()
        t = int(h) * 3600 + int(mi) * 60 + int(s) + int(ms) / 1000
        if "Beginning flow run" in text:
            stamps.setdefault("start", t)
        elif text.startswith("entries:"):
            stamps["feeds"] = t
        elif text.startswith("Finished in state"):
            stamps["end"] = t
    start = stamps.get("start", 0.0)
    return {k: v - start for k, v in stamps.items() if k != "start"}


def environment(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PREFECT_HOME": str(tmp / "prefect"),
            "PREFECT_LOGGING_LEVEL": "INFO",
            "NEWSDESK_ALLOW_HOSTS": "127.0.0.0/8",
            "NEWSDESK_SEEDS_DIR": str(tmp / "no-seeds"),
        }
    )
    (tmp / "no-seeds").mkdir(exist_ok=True)
    return env


def newsdesk_run(feeds: Path, db: Path, env: dict[str, str]) -> dict[str, Any]:
    args = [sys.executable, "-m", "cli", "run", "--feeds", str(feeds), "--db", str(db)]
    return run_command(args, env)


def write_feeds(path: Path, site: Site, count: int) -> None:
    path.write_text(
        "".join(f'[[feeds]]\nurl = "{site.feed_url(k)}"\nname = "Feed {k}"\n' for k in range(count))
    )


def stored(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM articles").fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def night(
    site: Site, tmp: Path, feeds: int, env: dict[str, str], label: str = "night"
) -> dict[str, Any]:
    """A first run over ``feeds`` quiet feeds, then the measured second one."""
    site.publish({})
    listing, db = tmp / f"feeds-{feeds}.toml", tmp / f"{label}-{feeds}.duckdb"
    write_feeds(listing, site, feeds)
    first = newsdesk_run(listing, db, env)
    after_first = stored(db)
    changed = {k: NEW_ENTRIES for k in range(0, feeds, CHANGED_EVERY)}
    site.reset()
    site.publish(changed)
    second = newsdesk_run(listing, db, env)
    seen = site.stats()
    answers = seen["answers"]
    peaks = second["peaks"]
    return {
        "feeds": feeds,
        "hosts": HOSTS,
        "first_wall_s": first["wall_s"],
        "stored_after_first": after_first,
        "wall_s": second["wall_s"],
        "phases": phase_seconds(second["stderr"]),
        "feeds_304": answers.get("feed 304", 0),
        "feeds_200": answers.get("feed 200", 0),
        "pages_200": answers.get("page 200", 0),
        "expected_pages": len(changed) * NEW_ENTRIES,
        "most_open_per_host": max(seen["most_open"].values(), default=0),
        "connections": answers.get("connections", 0),
        "stored": stored(db),
        "largest_peak_mb": max((mb for _, mb, _cpu in peaks), default=0.0),
        "peaks": peaks,
    }


def rows_of(db: Path) -> list[tuple[Any, ...]]:
    """What a night stored, as the analyst sees it: each article's URL, text hash and
    whether it is an original, and each country mention."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT canonical_url, content_hash, duplicate_of IS NULL, (SELECT list(country_code"
            " ORDER BY country_code) FROM country_mentions m WHERE m.article_id = a.article_id)"
            " FROM articles a ORDER BY canonical_url"
        ).fetchall()
    finally:
        con.close()


def on_dask(site: Site, tmp: Path, feeds: int, env: dict[str, str]) -> dict[str, Any]:
    """The same nights with ``NEWSDESK_DASK_ADDRESS`` on a LocalCluster of 2 worker processes
    (pages fetched and extracted on the workers; feeds and the warehouse stay with the flow),
    with the workers' CPU and peak memory, and whether it stored what the default runner did."""
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        workers = list(client.run(os.getpid).values())
        before = sum(cpu_seconds(p) for p in workers)
        out = night(
            site, tmp, feeds, {**env, "NEWSDESK_DASK_ADDRESS": cluster.scheduler_address}, "dask"
        )
        out["workers_cpu_s"] = sum(cpu_seconds(p) for p in workers) - before
        out["workers_peak_mb"] = max(peak_mb(p) for p in workers)
    out["same_rows"] = rows_of(tmp / f"dask-{feeds}.duckdb") == rows_of(
        tmp / f"night-{feeds}.duckdb"
    )
    return out


def run(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="newsdesk-scale-") as name, serving(HOSTS) as site:
        tmp = Path(name)
        env = environment(tmp)
        one, one_db = tmp / "one.toml", tmp / "one.duckdb"
        write_feeds(one, site, 1)
        newsdesk_run(one, one_db, env)
        fixed = newsdesk_run(one, one_db, env)
        out: dict[str, Any] = {"fixed_s": fixed["wall_s"], "fixed_peaks": fixed["peaks"]}
        for feeds in sizes:
            out[str(feeds)] = night(site, tmp, feeds, env)
            print(out[str(feeds)], flush=True)
        largest = max(sizes)
        out["dask"] = on_dask(site, tmp, largest, env)
        print(out["dask"], flush=True)
    return out


def _by_role(peaks: list[list[Any]]) -> tuple[dict[str, float], dict[str, float]]:
    """Peak MB (the largest process of each role) and CPU seconds (all of them) by role."""
    mb: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for name, peak, seconds in peaks:
        mb[name] = max(mb.get(name, 0.0), peak)
        cpu[name] = cpu.get(name, 0.0) + seconds
    return mb, cpu


def report(r: dict[str, Any]) -> list[str]:
    fixed = r["fixed_s"]
    nights = [r[str(n)] for n in SIZES if str(n) in r]
    beyond = {n["feeds"]: n["wall_s"] - fixed for n in nights}
    lines = [
        "## A steady-state night at scale (issue 22)",
        "",
        f"Feeds on {HOSTS} loopback addresses (127.0.0.2–{1 + HOSTS}, each a host for "
        "politeness, allowed as `127.0.0.0/8`), served by one asyncio process of their own. A "
        "first `newsdesk run` stores one entry per feed; then every 20th feed lists "
        f"{NEW_ENTRIES} new entries and the others keep their body (a conditional GET gets a "
        "304), and a second run is measured as the command runs (its own process, Prefect's "
        "ephemeral server, the extraction pool). Its cost is its wall time beyond the fixed "
        f"cost of the same command over one unchanged feed ({fixed:.1f} s here). Connections "
        "and answers are counted by the servers.",
        "",
        "| measure | " + " | ".join(f"{n['feeds']:,} feeds" for n in nights) + " | target |",
        "|---|" + "---|" * len(nights) + "---|",
    ]

    def row(label: str, values: list[str], target: str = "") -> None:
        lines.append(f"| {label} | " + " | ".join(values) + f" | {target} |")

    row(
        "first run (stores one entry per feed), wall",
        [f"{n['first_wall_s']:.1f} s" for n in nights],
    )
    row("second run, wall", [f"{n['wall_s']:.1f} s" for n in nights])
    row(
        "second run beyond the fixed cost",
        [f"**{beyond[n['feeds']]:.1f} s**" for n in nights],
        "≤ 15 s at 10,000",
    )
    row(
        "feed phase (flow start to the feeds read) / flow",
        [
            f"{n['phases'].get('feeds', 0):.1f} s / {n['phases'].get('end', 0):.1f} s"
            for n in nights
        ],
    )
    row(
        "feeds per second in the feed phase",
        [f"{n['feeds'] / max(n['phases'].get('feeds', 0), 1e-9):,.0f}" for n in nights],
    )
    row("feeds answered 304 / 200", [f"{n['feeds_304']:,} / {n['feeds_200']:,}" for n in nights])
    row(
        "pages fetched (new entries)",
        [f"{n['pages_200']:,} ({n['expected_pages']:,})" for n in nights],
        "exactly the new ones",
    )
    row("articles stored after the night", [f"{n['stored']:,}" for n in nights])
    row(
        "most connections one host had open at once",
        [str(n["most_open_per_host"]) for n in nights],
        f"≤ {PER_HOST_LIMIT}",
    )
    row(
        "connections opened in the second run",
        [f"{n.get('connections', 0):,}" for n in nights],
    )
    row(
        "peak RSS of the largest process",
        [f"{n['largest_peak_mb']:.0f} MB" for n in nights],
        "< 600 MB",
    )
    lines.append("")
    for n in nights:
        mb, cpu = _by_role(n["peaks"])
        each = "; ".join(f"{k} {mb[k]:.0f} MB, {cpu[k]:.1f} s" for k in sorted(mb))
        lines.append(f"- Second run at {n['feeds']:,} feeds, peak RSS and CPU by process: {each}.")
    dask = r.get("dask")
    if dask:
        mb, cpu = _by_role(dask["peaks"])
        flow_cpu = sum(cpu.values())
        default = r[str(dask["feeds"])]
        _, default_cpu = _by_role(default["peaks"])
        lines += [
            "",
            f"**The same nights on a Dask LocalCluster** of 2 worker processes "
            "(`NEWSDESK_DASK_ADDRESS`: pages fetched and extracted on the workers, the feeds "
            f"and the warehouse with the flow, its single writer), {dask['feeds']:,} feeds:",
            "",
            "| measure | default runner | Dask, 2 workers |",
            "|---|---|---|",
            f"| first run, wall | {default['first_wall_s']:.1f} s | {dask['first_wall_s']:.1f} s |",
            f"| second run beyond the fixed cost | {default['wall_s'] - fixed:.1f} s | "
            f"{dask['wall_s'] - fixed:.1f} s |",
            f"| second run, CPU of the run's processes / the workers over both runs | "
            f"{sum(default_cpu.values()):.1f} s / – | {flow_cpu:.1f} s / "
            f"{dask['workers_cpu_s']:.1f} s |",
            f"| peak RSS: largest process of the run / a worker | "
            f"{default['largest_peak_mb']:.0f} MB / – | {dask['largest_peak_mb']:.0f} MB / "
            f"{dask['workers_peak_mb']:.0f} MB |",
            f"| pages fetched (new entries); most connections to one host | "
            f"{default['pages_200']:,} ({default['expected_pages']:,}); "
            f"{default['most_open_per_host']} | {dask['pages_200']:,} "
            f"({dask['expected_pages']:,}); {dask['most_open_per_host']} |",
            f"| articles stored; the same rows as the default runner | {default['stored']:,}; – "
            f"| {dask['stored']:,}; **{'yes' if dask['same_rows'] else 'NO'}** |",
            "",
            "What the cluster costs on one machine: its workers share the two cores with the "
            "flow, the Prefect server and the site, each batch's pages travel to a worker and "
            "its results back (pickled, over TCP), and the feeds are fetched in the flow "
            "process (the extraction pool that fetches them by default does not exist on a "
            f"cluster): the first night took {dask['first_wall_s'] / default['first_wall_s']:.1f}"
            f"× the default runner's time, the second "
            f"{(dask['wall_s'] - fixed) / max(default['wall_s'] - fixed, 1e-9):.1f}×. Where it "
            "pays: workers on other machines take the extraction (most of a night's CPU) off "
            "the flow's machine, which keeps fetching the feeds, deduplicating and writing the "
            "warehouse, its single writer; the rows stored are the same.",
        ]
    if len(beyond) == 2:
        small, large = (beyond[n] for n in sorted(beyond))
        lines += [
            "",
            f"Cost at 1,000 feeds over cost at 10,000: **{small / large:.2f}** (target ≥ 0.10: "
            "linear or better in the number of feeds).",
        ]
    return lines


if __name__ == "__main__":
    print(run(tuple(int(a) for a in sys.argv[1:]) or SIZES))
