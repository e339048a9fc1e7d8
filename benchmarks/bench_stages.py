"""Stage throughput: warehouse inserts (articles/s, in the pipeline's transactional batches)
and country detection (articles of 5 KB per second, one core)."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.sites import article_text
from ingest.articles import tag_countries
from ingest.models import Article
from ingest.normalize import content_hash
from warehouse import snapshot, store
from warehouse.db import connect
from warehouse.search import build_fts_index

ARTICLES = 10_000
HISTORY = 40_000
BATCH = 200


def _articles(count: int = ARTICLES, age_days: int = 0, first: int = 0) -> list[Article]:
    now = datetime.now(UTC) - timedelta(days=age_days)
    out = []
    for i in range(first, first + count):
        text = "\n".join(article_text(i, paragraphs=6))
        out.append(
            Article(
                article_id=f"b{i}",
                source="feed",
                url=f"https://b.example/{i}",
                canonical_url=f"https://b.example/{i}",
                feed_url="https://b/feed",
                title=f"Story {i}",
                fetched_at=now,
                published_at=now,
                text=text,
                content_hash=content_hash(text),
                run_id="bench",
                raw_entry={"id": i, "title": f"Story {i}"},
                language="en",
            )
        )
    return out


def run() -> dict[str, Any]:
    articles = _articles()
    mentions = tag_countries(articles[:2000])
    size = sum(len(a.text) for a in articles) / len(articles)
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        started = time.perf_counter()
        for i in range(0, ARTICLES, BATCH):
            store.store_batch(con, articles[i : i + BATCH], [], [])
        insert_s = time.perf_counter() - started
        started = time.perf_counter()
        con.execute("CHECKPOINT")
        checkpoint_s = time.perf_counter() - started
        started = time.perf_counter()
        fts_failure = build_fts_index(con)
        fts_s = time.perf_counter() - started
        started = time.perf_counter()
        snap = snapshot.publish(Path(tmp) / "bench.duckdb")
        snapshot_s = time.perf_counter() - started
        snapshot_mb = snap.stat().st_size / 1e6
        con.close()
    # The same 10,000 recent originals in a warehouse whose history is 5x larger: the nightly
    # index rebuild covers the search window only.
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "history.duckdb")
        older = _articles(HISTORY, age_days=200, first=ARTICLES)
        for i in range(0, HISTORY, 1000):
            store.store_batch(con, older[i : i + 1000], [], [])
        del older
        for i in range(0, ARTICLES, 1000):
            store.store_batch(con, articles[i : i + 1000], [], [])
        started = time.perf_counter()
        build_fts_index(con, since=datetime.now(UTC) - timedelta(days=90))
        fts_window_s = time.perf_counter() - started
        con.close()
    from benchmarks.eval_countries import throughput

    return {
        "articles": ARTICLES,
        "batch": BATCH,
        "avg_chars": size,
        "insert_s": insert_s,
        "insert_per_s": ARTICLES / insert_s,
        "snapshot_s": snapshot_s,
        "snapshot_mb": snapshot_mb,
        "checkpoint_s": checkpoint_s,
        "fts_s": fts_s,
        "fts_window_s": fts_window_s,
        "history": HISTORY,
        "fts_failure": fts_failure,
        "mentions_sample": len(mentions),
        "countries_per_s": throughput(),
    }


def report(r: dict[str, Any]) -> list[str]:
    return [
        "## Stages (issue 7)",
        "",
        "| stage | throughput | target |",
        "|---|---|---|",
        f"| warehouse insert, {r['batch']}-article transactions ({r['articles']:,} articles of "
        f"{r['avg_chars'] / 1000:.1f} KB) | **{r['insert_per_s']:,.0f} articles/s** "
        f"(+ {r['checkpoint_s']:.1f} s final CHECKPOINT) | ≥ 5,000/s |",
        f"| country detection, articles of 5 KB, one core | **{r['countries_per_s']:,.0f} "
        "articles/s** | ≥ 3,000/s |",
        f"| reader snapshot published after a run ({r.get('snapshot_mb', 0):.0f} MB warehouse) "
        f"| {r.get('snapshot_s', 0) * 1000:.1f} ms | (reading while the night runs) |",
        f"| BM25 index rebuilt after a run ({r['articles']:,} articles) | "
        + (
            f"{r['fts_s']:.2f} s"
            if not r.get("fts_failure") and "fts_s" in r
            else f"not built: {r.get('fts_failure')}"
        )
        + " | (search) |",
        f"| the same rebuild, 90-day window, with {r.get('history', 0):,} older originals "
        f"in the warehouse | {r.get('fts_window_s', 0):.2f} s | flat as history grows |",
    ]


if __name__ == "__main__":
    print(run())
