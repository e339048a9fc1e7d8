"""A night next to a hostile publisher, measured as the operator meets it: the real
``newsdesk run`` command (its own temporary Prefect server, the extraction pool) against a
loopback publisher, next to a good feed. Reported: exit status, articles stored, wall time, and
the peak memory of every process the run starts (read from /proc while it runs).

- bombs: a 128 KB zstd feed (4 GiB of zeros), a ``gzip, gzip`` feed (6 GiB), and pages encoded
  the same way, under a 3 GiB address-space limit per process;
- big pages: pages of 1 MB and 9.5 MB (under the 10 MB cap), 20 and 60 of them: peak memory
  should be flat in both;
- pathological pages: three of 150,000 nested ``<div>``s and three of 150,000 paragraphs.
"""

from __future__ import annotations

import gzip
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.isolated import peak_mb
from benchmarks.sites import SiteSpec, article_html, serve_hosts_process, zeros_gzip, zeros_zstd

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOOD_PAGES = 10
MEMORY_LIMIT = 3 << 30


def _feed(title: str, paths: list[str]) -> bytes:
    items = "".join(
        f"<item><title>{title} {i}</title><link>{{base}}{p}</link></item>"
        for i, p in enumerate(paths)
    )
    return f'<rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'.encode()


def big_page(n: int, megabytes: float) -> bytes:
    """An article padded to ``megabytes`` with an inline JSON blob, as script-heavy news pages
    carry their state (the blob differs per page, so no two pages are duplicates)."""
    html = article_html(7, n)
    blob = (b'{"k%d":"' % n) + b"x" * int(megabytes * (1 << 20) - len(html) - 64) + b'"}'
    return html.replace(b"</body>", b"<script>window.__STATE__=" + blob + b"</script></body>")


def site(scenario: str, count: int = 0, megabytes: float = 0.0) -> SiteSpec:
    """The publisher of one scenario, built in the server's process (see serve_hosts_process)."""
    pages: dict[str, bytes] = {}
    headers: dict[str, dict[str, str]] = {}
    good = [f"/good/{i}.html" for i in range(GOOD_PAGES)]
    pages.update({p: article_html(1, i) for i, p in enumerate(good)})
    pages["/good.xml"] = _feed("Good", good)
    if scenario == "bombs":
        zstd, gzgz = zeros_zstd(4096), gzip.compress(zeros_gzip(6144))
        for name, body, encoding in (("zstd", zstd, "zstd"), ("gzgz", gzgz, "gzip, gzip")):
            pages[f"/{name}.xml"] = body
            pages[f"/p/{name}.html"] = body
            headers[f"/{name}.xml"] = headers[f"/p/{name}.html"] = {"Content-Encoding": encoding}
        pages["/hostile.xml"] = _feed("Hostile", ["/p/zstd.html", "/p/gzgz.html"])
    elif scenario == "big":
        paths = [f"/big/{i}.html" for i in range(count)]
        pages.update({p: big_page(i, megabytes) for i, p in enumerate(paths)})
        pages["/hostile.xml"] = _feed("Big", paths)
    elif scenario == "nested":
        nested = b"<html><body>" + b"<div>" * 150_000 + b"deep" + b"</div>" * 150_000
        flat = b"<html><body><article>" + b"<p>Peru text sentence here and there. " * 150_000
        paths = [f"/nested/{i}.html" for i in range(3)] + [f"/flat/{i}.html" for i in range(3)]
        pages.update({p: nested if "nested" in p else flat for p in paths})
        pages["/hostile.xml"] = _feed("Nested", paths)
    return SiteSpec(pages=pages, headers=headers)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _tagged(supervisor: int) -> dict[int, str]:
    mark = f"NEWSDESK_SUPERVISOR={supervisor}".encode()
    found = {}
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if mark in environ.read_bytes().split(b"\0"):
                cmd = (environ.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                found[int(environ.parent.name)] = cmd
        except OSError:
            continue
    return found


def _role(cmd: str) -> str:
    for key, role in (
        ("uvicorn", "Prefect server"),
        ("forkserver", "extraction forkserver"),
        ("multiprocessing", "extraction worker"),
        ("flows.cli", "run"),
    ):
        if key in cmd:
            return role
    return cmd[:40]


def night(scenario: str, count: int = 0, megabytes: float = 0.0) -> dict[str, Any]:
    """One ``newsdesk run`` against the scenario's publisher."""
    import functools

    spec = functools.partial(site, scenario, count, megabytes)
    with serve_hosts_process(spec, 1) as (bases, _hits), tempfile.TemporaryDirectory() as tmp:
        feeds = Path(tmp) / "feeds.toml"
        names = ["good", "hostile"] + (["zstd", "gzgz"] if scenario == "bombs" else [])
        feeds.write_text(
            "".join(f'[[feeds]]\nurl = "{bases[0]}/{n}.xml"\nname = "{n}"\n' for n in names)
        )
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "PREFECT_API"))
        }
        env["PREFECT_HOME"] = str(Path(tmp) / "prefect-home")
        args = [sys.executable, "-m", "flows.cli", "run", "--feeds", str(feeds)]
        args += ["--db", str(Path(tmp) / "w.duckdb"), "--seeds", str(SEEDS)]
        args += ["--allow-host", "127.0.0.1"]
        started = time.perf_counter()
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=_limit_memory if scenario == "bombs" else None,
        )
        peaks: dict[int, tuple[str, float]] = {}
        while proc.poll() is None:
            for pid, cmd in {proc.pid: "supervisor", **_tagged(proc.pid)}.items():
                peak = peak_mb(pid)
                if peak > peaks.get(pid, ("", 0.0))[1]:
                    peaks[pid] = (_role(cmd) if pid != proc.pid else "supervisor", peak)
            time.sleep(0.02)
        wall = time.perf_counter() - started
        output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
        stored = _stored(Path(tmp) / "w.duckdb")
    by_role: dict[str, float] = {}
    for role, peak in peaks.values():
        by_role[role] = max(by_role.get(role, 0.0), peak)
    return {
        "scenario": scenario,
        "pages": count,
        "megabytes": megabytes,
        "exit": proc.returncode,
        "wall_s": wall,
        "stored": stored,
        "peak_mb": by_role,
        "tail": output.strip().splitlines()[-3:],
    }


def _stored(db: Path) -> dict[str, int]:
    import duckdb

    if not db.exists():
        return {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        good, other = con.execute(
            "SELECT count(*) FILTER (url LIKE '%/good/%'), count(*) FILTER (url NOT LIKE "
            "'%/good/%') FROM articles WHERE source = 'feed'"
        ).fetchone() or (0, 0)
    finally:
        con.close()
    return {"good": int(good), "other": int(other)}


def run() -> dict[str, Any]:
    return {
        "runs": [
            night("bombs"),
            night("nested"),
            night("big", 20, 1.0),
            night("big", 60, 1.0),
            night("big", 20, 9.5),
            night("big", 60, 9.5),
        ]
    }


def report(r: dict[str, Any]) -> list[str]:
    lines = [
        "## Hostile publishers (`newsdesk run` next to a good feed)",
        "",
        f"The real command with its own temporary Prefect server and an extraction pool; the good "
        f"feed lists {GOOD_PAGES} articles. Peak memory is each process's VmHWM, read from /proc "
        "while the run goes on (the largest process of each role). The bombs run under a 3 GiB "
        "address-space limit (RLIMIT_AS) on every process.",
        "",
        "| night | exit | wall s | good stored | largest process MB | run MB | workers MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in r["runs"]:
        name = (
            n["scenario"]
            if n["scenario"] != "big"
            else f"{n['pages']} pages of {n['megabytes']} MB"
        )
        peaks = n["peak_mb"]
        lines.append(
            f"| {name} | {n['exit']} | {n['wall_s']:.1f} | {n['stored'].get('good', 0)}/"
            f"{GOOD_PAGES} | {max(peaks.values(), default=0):.0f} | {peaks.get('run', 0):.0f} | "
            f"{peaks.get('extraction worker', 0):.0f} |"
        )
    return lines


if __name__ == "__main__":
    import json

    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which == "all":
        print(json.dumps(run(), indent=1))
    else:
        a = sys.argv[2:]
        print(json.dumps(night(which, int(a[0]) if a else 0, float(a[1]) if a else 0.0), indent=1))
