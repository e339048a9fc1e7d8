"""Near-duplicate checks as the warehouse grows: 1,000 new articles against 10k, 100k and 1M
stored originals (synthetic band keys; 100 stored texts are real, and 100 of the new articles
are edited copies of them, so verification runs too). Each size runs in its own process so
peak memory is its own."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.isolated import isolated, peak_mb

SIZES = (10_000, 100_000, 1_000_000)
NEW = 1_000
PLANTED = 100
REPEATS = 3


def _texts() -> tuple[list[str], list[str]]:
    from benchmarks.sites import article_text

    stored = ["\n".join(article_text(900_000 + i)) for i in range(PLANTED)]
    fresh = ["\n".join(article_text(i)) for i in range(NEW - PLANTED)]
    copies = ["Editor's note: updated.\n" + "\n".join(t.split("\n")[:-1]) for t in stored]
    return stored, fresh + copies


def _one(size: int) -> dict[str, Any]:
    from ingest.dedupe import fingerprint
    from ingest.models import Article
    from pipeline.batch import find_duplicates
    from warehouse import store
    from warehouse.db import connect, transaction

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scale.duckdb"
        con = connect(path)
        con.execute("CHECKPOINT")
        empty = path.stat().st_size
        with transaction(con):
            con.execute(
                "INSERT INTO dedupe_docs SELECT i::UINTEGER, 'syn-' || i, 1"
                " FROM range(1, ? + 1) t(i)",
                [size - PLANTED],
            )
            con.execute(
                "INSERT INTO dedupe_index SELECT (hash(i * 40 + b) % 4294967296)::UINTEGER,"
                " i::UINTEGER FROM range(1, ? + 1) t(i), range(40) u(b)",
                [size - PLANTED],
            )
        con.execute("CHECKPOINT")
        index_bytes = (path.stat().st_size - empty) / (size - PLANTED)
        # The synthetic rows took sequence numbers 1..n by hand; move the sequence past them.
        con.execute(f"DROP SEQUENCE dedupe_seq; CREATE SEQUENCE dedupe_seq START {size + 1}")
        stored_texts, new_texts = _texts()
        now = datetime.now(UTC)
        planted = [
            Article(
                article_id=f"planted-{i}",
                source="feed",
                url=f"https://p/{i}",
                canonical_url=f"https://p/{i}",
                fetched_at=now,
                text=t,
                content_hash=f"ph{i}",
            )
            for i, t in enumerate(stored_texts)
        ]
        store.store_batch(
            con,
            planted,
            [],
            [],
            index=[(a.article_id, fingerprint(a.text).band_keys) for a in planted],
        )
        news = [
            Article(
                article_id=f"new-{i}",
                source="feed",
                url=f"https://n/{i}",
                canonical_url=f"https://n/{i}",
                fetched_at=now,
                text=t,
                content_hash=f"nh{i}",
            )
            for i, t in enumerate(new_texts)
        ]
        started = time.perf_counter()
        prints = {a.article_id: fingerprint(a.text) for a in news}
        signature_ms = (time.perf_counter() - started) / NEW * 1000
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            marked, _index = find_duplicates(con, news, prints)
            times.append(time.perf_counter() - started)
        found = sum(a.duplicate_of is not None for a in marked)
        con.close()
    return {
        "stored": size,
        "check_ms_per_article": statistics.median(times) / NEW * 1000,
        "signature_ms_per_article": signature_ms,
        "index_bytes_per_article": index_bytes,
        "duplicates_found": found,
        "expected_duplicates": PLANTED,
        "peak_rss_mb": peak_mb(),
    }


def run() -> dict[str, Any]:
    rows = []
    for size in SIZES:
        rows.append(isolated(_one, size))
        print(rows[-1], flush=True)
    growth = (rows[-1]["check_ms_per_article"] + rows[-1]["signature_ms_per_article"]) / (
        rows[0]["check_ms_per_article"] + rows[0]["signature_ms_per_article"]
    )
    return {
        "rows": rows,
        "growth_total": growth,
        "growth_check": rows[-1]["check_ms_per_article"] / rows[0]["check_ms_per_article"],
        "cores": os.cpu_count(),
    }


def report(r: dict[str, Any]) -> list[str]:
    rows = r["rows"]
    last = rows[-1]
    lines = [
        "## Near-duplicate checks as the warehouse grows (issue 4)",
        "",
        f"{NEW:,} new articles checked as one batch against stored originals: band-key lookup "
        "in one join, candidates' texts read and verified on shingle sets. Signatures are "
        "computed once per new article whatever the warehouse size (shown apart). "
        f"{PLANTED} of the new articles are edited copies of stored ones.",
        "",
        "| stored originals | check ms/article | + signature ms/article | index bytes/article "
        "| duplicates found | peak RSS |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['stored']:,} | {row['check_ms_per_article']:.3f} | "
            f"{row['signature_ms_per_article']:.3f} | {row['index_bytes_per_article']:.0f} | "
            f"{row['duplicates_found']}/{row['expected_duplicates']} | "
            f"{row['peak_rss_mb']:.0f} MB |"
        )
    total = last["check_ms_per_article"]
    lines += [
        "",
        f"Cost per article (check + signature) grows **{r['growth_total']:.2f}×** from "
        f"{rows[0]['stored']:,} to {last['stored']:,} stored (target < 2×); the check alone "
        f"is {total:.3f} ms/article at {last['stored']:,} (target < 0.2 ms); the index takes "
        f"{last['index_bytes_per_article']:.0f} bytes per article (target ≤ 600).",
        "The lookup is one hash join that scans the band-key column (about 2 ns per stored "
        "key on this machine), so its share grows linearly with the warehouse, but it is paid "
        "once per batch, not per article: at 10 million originals it would add about 0.8 ms "
        "per article of a 1,000-article night. Memory stays bounded by the batch: the index "
        "is never loaded into Python.",
    ]
    return lines


if __name__ == "__main__":
    print(run())
