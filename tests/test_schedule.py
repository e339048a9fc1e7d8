"""The night's batches without Prefect: ``pipeline.schedule`` with plain functions for its
stages, a real loopback site, a real fetch session and a DuckDB file in ``tmp_path``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from conftest import SEEDS, generated_site

from flows.demo import serve_site
from ingest.extract import extract_many
from ingest.fetch import FetchLimits
from ingest.models import ExtractedPage, FeedEntry, FetchResult, RunSummary
from ingest.session import FetchSession
from ingest.settings import Settings
from pipeline import batch
from pipeline.batch import AlertRules, BatchResult
from pipeline.plan import BatchPlan, batch_sizes
from pipeline.run import Tally, pending_seeds
from pipeline.schedule import Stages, store_in_batches
from warehouse.db import connect


def entries_of(base: str, count: int) -> list[FeedEntry]:
    return [
        FeedEntry(
            feed_url=f"{base}/rss.xml",
            entry_id=f"a{n}",
            url=f"{base}/a{n}.html",
            canonical_url=f"{base}/a{n}.html",
            title=f"Story {n}",
        )
        for n in range(count)
    ]


def test_batches_are_stored_in_order_seeds_first_each_checked_against_all_before(
    tmp_path: Path,
) -> None:
    count = 45
    sizes = batch_sizes(count)
    assert len(sizes) == 3  # the copy is in the last batch, its original in the first
    root = tmp_path / "site"
    root.mkdir()
    generated_site(root, count, copy_of=3)
    settings = Settings(db=tmp_path / "w.duckdb", allow_hosts=["127.0.0.1"], seeds_dir=SEEDS)
    con = connect(settings.db)
    events: list[str] = []
    tally = Tally(RunSummary(run_id="r1"))

    def stored_count() -> int:
        row = con.execute("SELECT count(*) FROM articles").fetchone()
        return int(row[0]) if row else 0

    with serve_site(root, port=0) as site, FetchSession(settings) as session:
        entries = entries_of(site.url, count)
        seeds = pending_seeds(con, settings.seeds_dir)
        limits = FetchLimits.for_pages(settings)

        def fetch(entries: list[FeedEntry]) -> Callable[[], list[FetchResult]]:
            events.append(f"fetch {len(entries)}")
            pages = session.fetch([e.url for e in entries], limits)
            return lambda: pages

        def extract(pages: list[FetchResult]) -> Callable[[], list[ExtractedPage | str]]:
            events.append(f"extract {len(pages)}")
            done = extract_many(pages)
            return lambda: done

        def store(
            entries: Sequence[FeedEntry],
            pages: list[FetchResult],
            extracted: list[ExtractedPage | str],
        ) -> BatchResult:
            events.append(f"store {len(pages)} after {stored_count()}")
            return batch.store_fetched(con, entries, pages, extracted, "r1", AlertRules())

        def store_seeds() -> None:
            if seeds and not any(e.startswith("seeds") for e in events):
                events.append(f"seeds {batch.store_seeds(con, seeds)}")

        def index() -> str | None:
            events.append(f"index at {stored_count()}")
            return None

        stages = Stages(fetch, extract, store, store_seeds, index)
        store_in_batches(entries, BatchPlan(entries, settings.batch_bytes), stages, tally)
    rows = con.execute(
        "SELECT c.url, o.url FROM articles c JOIN articles o ON c.duplicate_of = o.article_id"
    ).fetchall()
    con.close()
    a, b, c = sizes
    assert events == [
        f"fetch {a}",
        f"fetch {b}",  # the next batch is on its way before the first is extracted
        f"extract {a}",
        f"fetch {c}",
        f"extract {b}",
        "seeds 1",  # before any page is stored: every page is checked against the seeds
        f"store {a} after 1",
        f"extract {c}",
        f"store {b} after {1 + a}",
        f"index at {1 + a + b}",  # while the last batch is extracted, not after it
        f"store {c} after {1 + a + b}",
    ]
    assert [(x.rsplit("/", 1)[1], y.rsplit("/", 1)[1]) for x, y in rows] == [
        (f"a{count - 1}.html", "a3.html")  # the copy in the last batch, its original in the first
    ]
    s = tally.summary
    assert (s.pages_fetched, s.articles_stored, s.duplicates, s.pages_failed) == (
        count,
        count,
        1,
        0,
    )
