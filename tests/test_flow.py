"""The nightly flow end to end: a real Prefect test server, loopback sites, a DuckDB file."""

import gc
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import SEEDS, generated_site, sql_examples, update_iceland_story
from pytest_httpserver import HTTPServer

from flows.demo import SITE_DIR, Site, serve_site, write_feed_list
from flows.loopback import Handler
from flows.nightly import nightly
from ingest.models import RunSummary
from warehouse.search import search

pytestmark = pytest.mark.integration

DEMO_NEW_COUNTRIES = ["AT", "CL", "FR", "IS", "KE", "NO", "PE", "TZ"]


def run(feeds: Path, db: Path, **kw):
    return nightly(
        feeds_file=str(feeds),
        db_path=str(db),
        seeds_dir=str(SEEDS),
        allow_hosts=["127.0.0.1", "localhost"],
        **kw,
    )


@dataclass
class DemoNights:
    """Two nights on the demo site, one after the other, with a webhook for the digest."""

    first: RunSummary
    second: RunSummary
    db: Path
    hits_first: Counter[str]
    hits_second: Counter[str]
    digests: list[tuple[dict[str, str], dict[str, Any]]]  # (headers, JSON body) per POST


@pytest.fixture(scope="module")
def nights(prefect_server: str, tmp_path_factory: pytest.TempPathFactory) -> DemoNights:
    from loopback import serve

    digests: list[tuple[dict[str, str], dict[str, Any]]] = []

    def hook(h: Handler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        digests.append((dict(h.headers), json.loads(body)))
        h.send(200, b'{"ok": true}', {"Content-Type": "application/json"})

    tmp = tmp_path_factory.mktemp("demo-nights")
    with (
        serve_site(SITE_DIR, port=0) as site,
        serve({"/hook": hook}) as (hook_base, _stats),
        pytest.MonkeyPatch.context() as env,
    ):
        env.setenv("NEWSDESK_ALERT_URLS", f"json://{hook_base.removeprefix('http://')}/hook")
        feeds = write_feed_list(site.url, tmp / "feeds.toml")
        db = tmp / "demo.duckdb"
        first = run(feeds, db)
        hits_first = Counter(site.hits)
        second = run(feeds, db)
        return DemoNights(first, second, db, hits_first, Counter(site.hits), digests)


def test_the_first_night_counts_every_stage(nights: DemoNights) -> None:
    first = nights.first
    assert (first.feeds_ok, first.feeds_failed) == (2, 0)
    assert (first.entries_seen, first.new_entries) == (9, 8)
    assert (first.pages_fetched, first.pages_failed) == (7, 1)
    assert (first.articles_stored, first.duplicates) == (7, 1)
    assert first.new_countries == DEMO_NEW_COUNTRIES and first.alerts_raised == 8


def test_the_syndicated_copy_of_the_seed_is_linked_to_it_and_tagged_nothing(
    nights: DemoNights,
) -> None:
    con = duckdb.connect(str(nights.db), read_only=True)
    (seed_id,) = con.execute("SELECT article_id FROM articles WHERE source = 'seed'").fetchone()
    copy = con.execute(
        "SELECT duplicate_of, title, site_name, dup_method, similarity FROM articles "
        "WHERE url LIKE '%deportee-talks%'"
    ).fetchone()
    same_events = con.execute(
        "SELECT duplicate_of FROM articles WHERE url LIKE '%third-country-deals%'"
    ).fetchone()
    cluster = con.execute(
        "SELECT original_id, copies, copy_sites FROM duplicate_clusters"
    ).fetchall()
    (originals,) = con.execute(
        "SELECT count(*) FROM articles WHERE source = 'feed' AND duplicate_of IS NULL"
    ).fetchone()
    tagged_copies = con.execute(
        "SELECT count(*) FROM country_mentions cm JOIN articles a "
        "USING (article_id) WHERE a.duplicate_of IS NOT NULL"
    ).fetchone()
    con.close()
    assert copy[:4] == (
        seed_id,
        "Kyiv was asked to take in deportees, report says",
        "Evening Courier",
        "minhash-jaccard",
    )
    assert 0.6 <= copy[4] < 1
    assert same_events == (None,)  # the same events in other words: an original
    assert cluster == [(seed_id, 1, ["Evening Courier"])]
    assert originals == 6 and tagged_copies == (0,)


def test_a_stored_article_keeps_its_metadata_is_searchable_and_a_dead_link_is_logged(
    nights: DemoNights,
) -> None:
    con = duckdb.connect(str(nights.db), read_only=True)
    rail = con.execute(
        "SELECT canonical_url, published_at, language FROM articles WHERE url LIKE '%kenya%'"
    ).fetchall()
    _cols, hits, notice = search(con, "railway Tanzania")
    missing = con.execute(
        "SELECT status, error FROM fetch_log WHERE url LIKE '%winter-timetable%'"
    ).fetchall()
    con.close()
    assert len(rail) == 1 and rail[0][0].endswith("/harbor/2026/11/kenya-tanzania-rail.html")
    assert rail[0][1].isoformat().startswith("2026-11-26T05:30:00")
    assert notice is None  # the run built the BM25 index with the shipped extension
    assert len(hits) == 1 and "/kenya-tanzania-rail.html" in hits[0][5]
    assert missing == [(404, "HTTP 404")]
    assert nights.hits_first["/harbor/2026/11/kenya-tanzania-rail.html"] == 1
    assert nights.hits_first["/robots.txt"] == 1


def test_one_digest_names_the_new_countries_in_order_and_is_delivered(
    nights: DemoNights,
) -> None:
    ((headers, payload),) = nights.digests
    title, message, key = payload["title"], payload["message"], headers["X-Newsdesk-Digest"]
    assert title.startswith("newsdesk: 8 countries new in the news — Austria, Chile, ")
    # No run or digest id in the headline or the first paragraph; the id closes the body.
    headline, first_paragraph = message.split("\n\n")[:2]
    for part in (title, headline, first_paragraph):
        assert key not in part and nights.first.run_id not in part
    assert message.rstrip().endswith(f"digest {key}")
    # One entry per article, each with its site, date and every new country it names.
    entries = [line for line in message.splitlines() if line.startswith("- ")]
    titles = [line.split("**")[1] for line in entries]
    assert len(titles) == len(set(titles)) and len(entries) < len(DEMO_NEW_COUNTRIES)
    assert "Kenya and Tanzania agree to link their railways" in titles
    assert any("Kenya (KE), Tanzania (TZ)" in line for line in entries)
    assert all(re.search(r" — [^—]+, 2026-\d\d-\d\d — new: ", line) for line in entries)
    assert all(f"({code})" in message for code in DEMO_NEW_COUNTRIES)
    # Links are the canonical URLs, one line each (kept by the plain-text part of an e-mail).
    links = [line.strip() for line in message.splitlines() if line.strip().startswith("<http")]
    assert len(links) == len(entries) and not any("utm_" in link for link in links)
    assert "utm_" not in message
    assert "Ukraine (UA)" not in message and "(US)" not in message
    con = duckdb.connect(str(nights.db), read_only=True)
    assert con.execute("SELECT count(*) FROM alerts WHERE delivered_at IS NULL").fetchone() == (0,)
    con.close()


def test_the_second_night_asks_only_for_the_feeds_and_stores_nothing(nights: DemoNights) -> None:
    second = nights.second
    assert second.articles_stored == 0 and second.alerts_raised == 0
    assert second.pages_fetched == 0 and second.feeds_ok == 2
    # The two feeds, answered 304; no page fetched again, no second digest.
    assert sum(nights.hits_second.values()) == sum(nights.hits_first.values()) + 2
    assert len(nights.digests) == 1
    con = duckdb.connect(str(nights.db), read_only=True)
    statuses = con.execute("SELECT DISTINCT last_status FROM feeds").fetchall()
    runs = con.execute("SELECT status, articles_stored FROM runs ORDER BY started_at").fetchall()
    con.close()
    assert statuses == [("not_modified",)]
    assert runs == [("completed", 7), ("completed", 0)]


def test_bad_feeds_never_stop_the_run(
    prefect_server: str, demo_site: Site, tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/gone.xml").respond_with_data("gone", status=404)
    httpserver.expect_request("/page.xml").respond_with_data(
        "<html><body><p>Not a feed at all</p></body></html>", content_type="text/html"
    )
    httpserver.expect_request("/empty.xml").respond_with_data("")
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(
        f'[[feeds]]\nurl = "{demo_site.url}/harbor/rss.xml"\nname = "Harbor"\n'
        f'[[feeds]]\nurl = "{httpserver.url_for("/gone.xml")}"\nname = "Gone"\n'
        f'[[feeds]]\nurl = "{httpserver.url_for("/page.xml")}"\nname = "Page"\n'
        f'[[feeds]]\nurl = "{httpserver.url_for("/empty.xml")}"\nname = "Empty"\n'
        '[[feeds]]\nurl = "http://127.0.0.1:9/refused.xml"\nname = "Refused"\n'
    )
    db = tmp_path / "w.duckdb"
    summary = run(feeds, db)
    assert summary.status == "completed"
    assert (summary.feeds_ok, summary.feeds_failed) == (1, 4)
    assert summary.articles_stored == 4
    con = duckdb.connect(str(db), read_only=True)
    health = dict(
        con.execute("SELECT name, last_error FROM feeds WHERE last_status = 'error'").fetchall()
    )
    con.close()
    assert health["Gone"] == "HTTP 404"
    assert health["Page"].startswith("not a feed")
    assert health["Empty"] == "empty response body"
    assert health["Refused"].startswith("connection error")


def test_reextract_from_archive_fetches_nothing(
    prefect_server: str, demo_site: Site, tmp_path: Path, capsys
) -> None:
    feeds = write_feed_list(demo_site.url, tmp_path / "feeds.toml")
    db = tmp_path / "demo.duckdb"
    run(feeds, db)
    con = duckdb.connect(str(db))
    pages, raw, stored = con.execute(
        "SELECT count(*), sum(raw_bytes), sum(stored_bytes) FROM page_archive"
    ).fetchone()
    assert pages == 7 and stored < raw
    before = con.execute(
        "SELECT article_id, content_hash, duplicate_of FROM articles ORDER BY 1"
    ).fetchall()
    con.execute(
        "DELETE FROM country_mentions WHERE article_id IN "
        "(SELECT article_id FROM articles WHERE url LIKE '%iceland%')"
    )
    con.execute("DELETE FROM articles WHERE url LIKE '%iceland%'")
    con.close()
    hits = sum(demo_site.hits.values())

    from cli.main import main

    assert main(["reextract", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert sum(demo_site.hits.values()) == hits
    assert "7 archived pages, 7 articles written, 0 without text" in out
    assert "0 new countries" in out
    assert "archive: 7 pages," in out and "KB per page stored" in out
    con = duckdb.connect(str(db), read_only=True)
    after = con.execute(
        "SELECT article_id, content_hash, duplicate_of FROM articles ORDER BY 1"
    ).fetchall()
    iceland = con.execute(
        "SELECT count(*) FROM country_mentions m JOIN articles a "
        "USING (article_id) WHERE a.url LIKE '%iceland%'"
    ).fetchone()
    con.close()
    assert after == before
    assert iceland == (2,)


def test_updated_entry_becomes_a_revision_and_edited_titles_change_nothing(
    prefect_server: str, tmp_path: Path
) -> None:
    """Atom's later <updated> and RSS's later pubDate both have the page re-checked: a changed
    text is a revision; an unchanged page (a 304 to the conditional GET) adds nothing."""
    import shutil

    from flows.demo import SITE_DIR, serve_site

    root = tmp_path / "site"
    shutil.copytree(SITE_DIR, root)
    db = tmp_path / "w.duckdb"
    with serve_site(root, port=0) as site:
        feeds = write_feed_list(site.url, tmp_path / "feeds.toml")
        run(feeds, db)
        update_iceland_story(
            root,
            "Update: the council approved the first stage of the pipeline on Friday, "
            "and work on the fjord crossing will start in the spring.",
        )
        rss = root / "harbor/rss.xml"
        rss.write_text(
            rss.read_text()
            .replace(
                "Kenya and Tanzania agree to link their railways",
                "Kenya, Tanzania sign rail link deal",
            )
            .replace("harbor-2026-11-001", "harbor-2026-11-001-v2")
            .replace("Wed, 25 Nov 2026 14:00:00 -0300", "Fri, 27 Nov 2026 10:00:00 -0300")
            .replace("Tue, 24 Nov 2026 06:15:00 +0000", "Fri, 27 Nov 2026 06:15:00 +0000")
        )
        copper = root / "harbor/2026/11/copper-output.html"
        copper.write_text(
            copper.read_text().replace(
                "</article>",
                "<p>Correction: the second mine opens in March, not May.</p></article>",
            )
        )
        before = dict(site.hits)
        second = run(feeds, db)
        refetched = {p: n - before.get(p, 0) for p, n in site.hits.items()}
    assert second.revisions == 2  # the Atom story and the copper story; not the grain one
    assert refetched["/harbor/2026/11/grain-corridor.html"] == 1  # re-checked: a 304
    assert second.articles_stored == 0 and second.alerts_raised == 0
    con = duckdb.connect(str(db), read_only=True)
    article = con.execute(
        "SELECT article_id, text, revision FROM articles WHERE url LIKE '%iceland%'"
    ).fetchone()
    old = con.execute("SELECT article_id, revision, text FROM revisions").fetchall()
    total = con.execute("SELECT count(*) FROM articles").fetchone()
    kenya = con.execute("SELECT count(*) FROM articles WHERE url LIKE '%kenya%'").fetchone()
    dates = con.execute(
        "SELECT revision, entry_published_at FROM articles WHERE url LIKE '%grain%'"
        " OR url LIKE '%copper%' ORDER BY url"
    ).fetchall()
    con.close()
    assert "council approved the first stage" in article[1] and article[2] == 2
    assert len(old) == 2 and {r[1] for r in old} == {1} and article[0] in {r[0] for r in old}
    assert not any("council approved" in r[2] or "Correction" in r[2] for r in old)
    assert dates == [  # the later dates are kept: the same feed re-checks neither page again
        (2, datetime(2026, 11, 27, 13, 0, tzinfo=UTC)),
        (1, datetime(2026, 11, 27, 6, 15, tzinfo=UTC)),
    ]
    assert total == (8,) and kenya == (1,)


def test_run_history_status_and_summary_artifact(
    prefect_server: str, demo_site: Site, tmp_path: Path, capsys
) -> None:
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from cli.main import main

    feeds = tmp_path / "feeds.toml"
    feeds.write_text(
        f'[[feeds]]\nurl = "{demo_site.url}/harbor/rss.xml"\nname = "Harbor"\n'
        f'[[feeds]]\nurl = "{demo_site.url}/nowhere.xml"\nname = "Nowhere"\n'
    )
    db = tmp_path / "w.duckdb"
    summary = run(feeds, db)
    con = duckdb.connect(str(db), read_only=True)
    per_feed = con.execute(
        "SELECT name, status, http_status, entries_seen, new_entries "
        "FROM run_feeds WHERE run_id = ? ORDER BY name",
        [summary.run_id],
    ).fetchall()
    con.close()
    assert per_feed == [("Harbor", "ok", 200, 5, 5), ("Nowhere", "error", 404, 0, 0)]

    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert summary.run_id in out and "completed" in out
    assert "Feeds that need attention:" in out and "Nowhere" in out and "HTTP 404" in out
    assert "Harbor " not in out.split("Feeds that need attention:")[1]

    async def artifacts() -> list:
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["nightly-summary"]))
            )

    found = [a for a in asyncio.run(artifacts()) if summary.run_id in (a.data or "")]
    assert len(found) == 1
    assert "| Nowhere | error | 404 |" in found[0].data


def test_every_documented_query_runs(prefect_server: str, demo_site: Site, tmp_path: Path) -> None:
    feeds = write_feed_list(demo_site.url, tmp_path / "feeds.toml")
    db = tmp_path / "demo.duckdb"
    run(feeds, db)
    examples = sql_examples()
    assert len(examples) >= 8
    con = duckdb.connect(str(db), read_only=True)
    try:
        for doc, statement in examples:
            try:
                con.execute(statement).fetchall()
            except duckdb.Error as exc:
                raise AssertionError(f"{doc}: {statement}\n{exc}") from exc
    finally:
        con.close()


@pytest.mark.pool
def test_many_pages_go_through_the_pool_in_batches_checked_against_earlier_ones(
    prefect_server: str, tmp_path: Path, monkeypatch
) -> None:
    from flows.demo import serve_site
    from ingest.countries import default_detector
    from pipeline.plan import batch_sizes

    monkeypatch.setenv("NEWSDESK_EXTRACT_WORKERS", "2")
    root = tmp_path / "site"
    root.mkdir()
    count = 45
    assert len(batch_sizes(count)) == 3  # the copy is in the last batch, its original in the first
    generated_site(root, count, copy_of=3)
    detections = default_detector.cache_info()
    switch_interval = sys.getswitchinterval()
    with serve_site(root, port=0) as site:
        feeds = tmp_path / "feeds.toml"
        feeds.write_text(f'[[feeds]]\nurl = "{site.url}/rss.xml"\nname = "Generated"\n')
        summary = run(feeds, tmp_path / "w.duckdb")
    assert (summary.pages_fetched, summary.articles_stored) == (count, count)
    assert summary.duplicates == 1
    # Countries were found in the workers, the seed's too: this process never looked.
    assert default_detector.cache_info() == detections
    assert sys.getswitchinterval() == switch_interval  # lowered while the pool ran, restored
    assert gc.get_freeze_count() > 0  # the start-up heap is out of the collector's way
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    seeds = con.execute(
        "SELECT count(*) FROM articles a JOIN country_mentions USING (article_id)"
        " WHERE a.source = 'seed'"
    ).fetchone()
    assert seeds is not None and seeds[0] > 0
    rows = con.execute(
        "SELECT c.url, o.url FROM articles c JOIN articles o ON c.duplicate_of = o.article_id"
    ).fetchall()
    archived = con.execute("SELECT count(*) FROM page_archive").fetchone()
    searchable = con.execute("SELECT count(*) FROM search_docs").fetchone()
    con.close()
    assert searchable == (count - 1,)  # indexed for search: the originals (one is a copy)
    assert [(c.rsplit("/", 1)[1], o.rsplit("/", 1)[1]) for c, o in rows] == [
        (f"a{count - 1}.html", "a3.html")
    ]
    assert archived == (count,)


def test_batches_are_small_at_both_ends_and_cover_every_page() -> None:
    from pipeline.plan import BATCH_SIZE, HEAD_RAMP, TAIL_RAMP, batch_sizes

    for total in [*range(0, 400), 1000, 5032]:
        sizes = batch_sizes(total)
        assert sum(sizes) == total and all(0 < s <= BATCH_SIZE for s in sizes)
        if sizes:
            assert sizes[0] < 2 * HEAD_RAMP[0] and sizes[-1] < TAIL_RAMP[0] + HEAD_RAMP[0]
            assert all(s >= HEAD_RAMP[0] for s in sizes[1:-1])  # no slivers in between
    assert max(batch_sizes(5032)) > 0.9 * BATCH_SIZE and len(batch_sizes(5032)) < 5032 / 150


def test_batches_hold_no_more_bytes_than_the_budget_at_the_size_seen() -> None:
    from ingest.models import FeedEntry, FetchResult
    from pipeline.plan import BatchPlan, batch_sizes

    entries = [
        FeedEntry(feed_url="f", entry_id=str(i), url=f"u{i}", canonical_url=f"u{i}")
        for i in range(600)
    ]
    plan = BatchPlan(entries, byte_budget=48 << 20)
    first = plan.take()
    assert len(first) == batch_sizes(600)[0]
    plan.fetched([FetchResult(url=e.url, final_url=e.url, content=b"x" * (9 << 20)) for e in first])
    sizes = [len(first)]
    while plan:
        batch = plan.take()
        sizes.append(len(batch))
        plan.fetched([FetchResult(url=e.url, final_url=e.url) for e in batch])  # empty pages
    assert sizes[1] == 5  # 48 MB of 9 MB pages
    assert sum(sizes) == 600 and max(sizes) <= 200


def test_no_page_body_outlives_its_batch(
    prefect_server: str, demo_site: Site, tmp_path: Path
) -> None:
    """Prefect keeps every task's return value until the flow run ends; the fetched bodies
    must not be kept with them (60 pages of 9.5 MB held 570 MB to the last)."""
    from ingest.models import FetchResult

    summary = run(write_feed_list(demo_site.url, tmp_path / "feeds.toml"), tmp_path / "w.duckdb")
    assert summary.pages_fetched == 7
    gc.collect()
    kept = [
        o
        for o in gc.get_objects()
        if isinstance(o, FetchResult) and o.content and o.url.startswith(demo_site.url)
    ]
    assert kept == []


def test_a_plan_takes_back_what_a_batch_gave_back_first() -> None:
    from ingest.models import FeedEntry
    from pipeline.plan import BatchPlan

    entries = [
        FeedEntry(feed_url="f", entry_id=str(i), url=f"http://x/{i}", canonical_url=f"http://x/{i}")
        for i in range(40)
    ]
    plan = BatchPlan(entries, byte_budget=1 << 30)
    first = plan.take()
    plan.put_back(first[3:])
    again = plan.take()
    assert [e.url for e in again[: len(first) - 3]] == [e.url for e in first[3:]]


def test_feeds_read_a_chunk_at_a_time_store_what_one_piece_stores(
    prefect_server: str, demo_site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk of one feed: each chunk recorded before the next is fetched, and an article a
    later chunk's feed lists again (a second address of the Harbor feed) selected once."""
    from pipeline import feeds as feed_stage

    whole = run(write_feed_list(demo_site.url, tmp_path / "feeds.toml"), tmp_path / "one.duckdb")
    listing = tmp_path / "chunked.toml"
    listing.write_text(
        (tmp_path / "feeds.toml").read_text()
        + f'\n[[feeds]]\nurl = "{demo_site.url}/harbor/rss.xml?edition=2"\nname = "Harbor again"\n'
    )
    monkeypatch.setattr(feed_stage, "FEED_CHUNK", 1)
    chunked = run(listing, tmp_path / "chunked.duckdb")
    assert chunked.new_entries == whole.new_entries and chunked.feeds_ok == 3

    def stored(db: Path) -> tuple[list[Any], list[Any]]:
        con = duckdb.connect(str(db), read_only=True)
        try:
            articles = con.execute(
                "SELECT canonical_url, duplicate_of IS NULL FROM articles ORDER BY 1"
            ).fetchall()
            feeds = con.execute("SELECT name, new_entries FROM run_feeds ORDER BY name").fetchall()
        finally:
            con.close()
        return articles, feeds

    articles, per_feed = stored(tmp_path / "chunked.duckdb")
    assert articles == stored(tmp_path / "one.duckdb")[0]
    assert [name for name, _ in per_feed] == ["Evening Courier", "Harbor Daily", "Harbor again"]
    assert dict(per_feed)["Harbor again"] == 0
