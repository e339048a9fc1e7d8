"""Extraction on the shared corpus (issue 19, point 4): pages stored against pages trafilatura's
default options extract, and the gold snippets' F1, with and without the recall fallback.

``uv run python -m benchmarks.eval_extraction``. The corpus is the development split the
options were looked at on: these are in-sample figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import trafilatura

from benchmarks.corpus import CORPUS, available, manifest
from benchmarks.sites import SiteSpec, serve_hosts_process
from ingest.extract import decode_html, extract_page
from ingest.models import FetchResult
from ingest.normalize import normalize_text

DEFAULT_MIN_CHARS = 100  # what the issue counts as a page trafilatura's defaults extract


def _snippets(text: str, row: dict[str, Any]) -> tuple[int, int, int]:
    """(gold snippets found, unwanted snippets present, gold snippets) for one page."""
    folded = " ".join(text.split()).lower()
    found = sum(" ".join(str(s).split()).lower() in folded for s in row.get("gold_with") or [])
    unwanted = sum(
        " ".join(str(s).split()).lower() in folded for s in row.get("gold_without") or []
    )
    return found, unwanted, len(row.get("gold_with") or [])


def evaluate(fallback: bool) -> dict[str, Any]:
    stored = defaults = stored_of_defaults = 0
    found = unwanted = gold = without = 0
    reasons: Counter[str] = Counter()
    for row in manifest():
        content = (CORPUS / str(row["file"])).read_bytes()
        url = f"https://corpus.example/{row['id']}"
        page = FetchResult(url=url, final_url=url, status=200, content=content)
        default = trafilatura.extract(decode_html(content, None), url=url) or ""
        by_default = len(normalize_text(default)) >= DEFAULT_MIN_CHARS
        defaults += by_default
        result = extract_page(page, fallback=fallback)
        text = "" if isinstance(result, str) else result.text
        if isinstance(result, str):
            if by_default:
                reasons[result.split(" (")[0]] += 1
        else:
            stored += 1
            stored_of_defaults += by_default
        if row.get("has_gold"):
            f, u, g = _snippets(text, row)
            found, unwanted, gold = found + f, unwanted + u, gold + g
            without += len(row.get("gold_without") or [])
    recall = found / gold if gold else 0.0
    precision = 1 - unwanted / without if without else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pages": len(manifest()),
        "defaults_extract": defaults,
        "stored": stored,
        "stored_of_defaults": stored_of_defaults,
        "rejected_of_defaults": dict(reasons.most_common()),
        "gold_recall": round(recall, 3),
        "unwanted_absent": round(precision, 3),
        "f1": round(f1, 3),
    }


def _default_extracts(row: dict[str, Any]) -> bool:
    content = (CORPUS / str(row["file"])).read_bytes()
    text = trafilatura.extract(decode_html(content, None), url="https://corpus.example/") or ""
    return len(normalize_text(text)) >= DEFAULT_MIN_CHARS


def served_behind_feeds() -> dict[str, Any]:
    """Every corpus page behind RSS feeds on loopback, one ``newsdesk run``: each page that
    trafilatura's defaults extract must be stored (as an original or a duplicate) or have its
    reason in ``fetch_log``."""
    rows = manifest()
    pages = {f"/p/{r['id']}.html": (CORPUS / str(r["file"])).read_bytes() for r in rows}
    paths = sorted(pages)
    for k in range(0, len(paths), 25):
        items = "".join(
            f"<item><title>{p}</title><link>{{base}}{p}</link></item>" for p in paths[k : k + 25]
        )
        pages[f"/feeds/{k // 25}.xml"] = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>f{k}</title>{items}'
            "</channel></rss>"
        ).encode()
    tmp = Path(tempfile.mkdtemp(prefix="newsdesk-extraction-"))
    with serve_hosts_process(SiteSpec(pages=pages), 1) as (bases, _hits):
        feeds = tmp / "feeds.toml"
        feeds.write_text(
            "".join(
                f'[[feeds]]\nurl = "{bases[0]}/feeds/{k}.xml"\nname = "corpus {k}"\n'
                for k in range((len(paths) + 24) // 25)
            )
        )
        env = {
            **os.environ,
            "NEWSDESK_DB": str(tmp / "w.duckdb"),
            "NEWSDESK_FEEDS": str(feeds),
            "NEWSDESK_ALLOW_HOSTS": "127.0.0.1",
            "NEWSDESK_PER_HOST_CONNECTIONS": "8",
        }
        subprocess.run(
            [sys.executable, "-m", "cli", "run"], env=env, check=False, capture_output=True
        )
    con = duckdb.connect(str(tmp / "w.duckdb"), read_only=True)
    stored = {u.rsplit("/", 1)[-1] for (u,) in con.execute("SELECT url FROM articles").fetchall()}
    logged = {
        u.rsplit("/", 1)[-1]: e
        for u, e in con.execute(
            "SELECT url, error FROM fetch_log WHERE kind = 'page' AND error IS NOT NULL"
        ).fetchall()
    }
    con.close()
    wanted = [r for r in rows if _default_extracts(r)]
    missing = [r["id"] for r in wanted if f"{r['id']}.html" not in stored]
    return {
        "default_extractable": len(wanted),
        "stored": len(wanted) - len(missing),
        "not_stored_with_reason": {
            m: logged[f"{m}.html"] for m in missing if f"{m}.html" in logged
        },
        "not_stored_without_reason": [m for m in missing if f"{m}.html" not in logged],
    }


def main() -> int:
    if not available():
        print("the shared corpus is not here (../shared/corpus)", file=sys.stderr)
        return 2
    for label, fallback in (("before (precision only)", False), ("after (recall fallback)", True)):
        print(label, evaluate(fallback), flush=True)
    print("served behind feeds, one run:", served_behind_feeds(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
