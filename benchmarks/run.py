"""Run every benchmark and write docs/benchmarks.md: ``make bench`` (or
``uv run python -m benchmarks.run [SECTION ...]``)."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "docs" / "benchmarks.json"
SECTIONS = ("fetch", "pipeline", "scale", "dedupe", "stages", "e2e", "hostile", "coverage")
PACKAGES = ("prefect", "duckdb", "trafilatura", "feedparser", "httpx", "pyahocorasick")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in PACKAGES)
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; {versions}"
    )


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def render(results: dict[str, Any]) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {results['date']}; each section says when and on what it",
        "was measured (`make bench SECTIONS=scale` refreshes one). Medians over repeated",
        "runs where a section repeats; numbers from a loaded machine are noisy, compare ratios",
        "rather than absolutes.",
        "",
    ]
    for name in SECTIONS:
        if name in results:
            module = importlib.import_module(f"benchmarks.bench_{name}")
            lines += module.report(results[name])
            measured = results[name].get("measured")
            if measured:
                lines += ["", f"_Measured {measured['date']} — {measured['machine']}._"]
            lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="newsdesk-bench-prefect-"))
    for key, value in (
        ("PREFECT_SERVER_ANALYTICS_ENABLED", "false"),
        ("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED", "false"),
        ("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"),
        ("PREFECT_LOGGING_LEVEL", "WARNING"),
    ):
        os.environ.setdefault(key, value)
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if argv == ["--render"]:
        OUT.write_text(render(results) + "\n")
        return 0
    wanted = argv or list(SECTIONS)
    for name in SECTIONS:  # sections kept from an earlier run keep that run's date and machine
        if name in results and "measured" not in results[name] and "date" in results:
            results[name]["measured"] = {"date": results["date"], "machine": results["machine"]}
    for name in wanted:
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"benchmarks.bench_{name}")
        results[name] = module.run()
        print(json.dumps(results[name], indent=1, default=str), flush=True)
        results[name]["measured"] = {"date": now(), "machine": machine()}
    results["date"] = now()
    results["machine"] = machine()
    RESULTS.write_text(json.dumps(results, indent=1, default=str) + "\n")
    OUT.write_text(render(results) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
