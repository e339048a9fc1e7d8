from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import make_article, table_counts

from ingest.errors import WarehouseError
from ingest.models import Alert, Article, CountryMention, FeedEntry, FeedSpec, StoredEntry
from warehouse import store
from warehouse.db import connect, migrations, schema_version

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def article(i: int, text: str = "", dup: str | None = None) -> Article:
    return make_article(
        f"a{i}",
        text or f"text {i}",
        NOW,
        title=f"T{i}",
        content_hash=f"h{i}",
        duplicate_of=dup,
        run_id="r1",
        raw_entry={"id": i},
    )


def test_migrations_applied_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    con = connect(path)
    latest = migrations()[-1][0]
    assert schema_version(con) == latest
    con.close()
    con = connect(path)
    rows = con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    assert rows == len(migrations())
    con.close()


def test_public_columns(db: duckdb.DuckDBPyConnection) -> None:
    def cols(table: str) -> list[str]:
        return [r[0] for r in db.execute(f"DESCRIBE {table}").fetchall()]

    assert cols("articles")[:15] == [
        "article_id",
        "source",
        "url",
        "canonical_url",
        "feed_url",
        "title",
        "author",
        "published_at",
        "fetched_at",
        "site_name",
        "language",
        "text",
        "content_hash",
        "duplicate_of",
        "run_id",
    ]
    assert cols("country_mentions")[:4] == [
        "article_id",
        "country_code",
        "country_name",
        "mentions",
    ]
    assert cols("alerts")[:7] == [
        "alert_id",
        "country_code",
        "country_name",
        "article_id",
        "raised_at",
        "run_id",
        "delivered_at",
    ]
    types = dict(
        db.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'articles'"
        ).fetchall()
    )
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"


def test_store_batch_is_idempotent_and_transactional(db: duckdb.DuckDBPyConnection) -> None:
    arts = [article(1), article(2, dup="a1")]
    mentions = [
        CountryMention(
            article_id="a1",
            country_code="KE",
            country_name="Kenya",
            mentions=2,
            first_offset=0,
            snippet="Kenya",
        )
    ]
    alerts = [
        Alert(
            alert_id="x",
            country_code="KE",
            country_name="Kenya",
            article_id="a1",
            raised_at=NOW,
            run_id="r1",
        )
    ]
    assert store.store_batch(db, arts, mentions, alerts) == 2
    assert store.store_batch(db, arts, mentions, alerts) == 0
    assert table_counts(db, "articles", "country_mentions", "alerts") == {
        "articles": 2,
        "country_mentions": 1,
        "alerts": 1,
    }
    bad = article(3).model_copy(update={"source": "other"})
    with pytest.raises(duckdb.Error):
        store.store_batch(db, [article(4), bad], [], [])
    assert table_counts(db, "articles")["articles"] == 2
    raw = db.execute("SELECT raw_entry->>'$.id' FROM articles WHERE article_id='a1'").fetchone()
    assert raw == ("1",)


def test_lookups_only_touch_the_batch(db: duckdb.DuckDBPyConnection) -> None:
    store.store_batch(db, [article(1), article(2, dup="a1")], [], [])
    assert store.stored_urls(db, ["https://x/a1", "https://x/a9"]) == {"https://x/a1"}
    assert store.originals_by_hash(db, ["h1", "h2", "h9"]) == {"h1": "a1", "h2": "a1"}


def test_unusable_database_is_a_clear_error(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.duckdb"
    not_a_db.write_text("this is not a database")
    with pytest.raises(WarehouseError, match="cannot open warehouse"):
        connect(not_a_db)
    with pytest.raises(WarehouseError, match="not found"):
        connect(tmp_path / "missing.duckdb", read_only=True)


def test_analyst_views(db: duckdb.DuckDBPyConnection) -> None:
    now = datetime.now(UTC)
    yesterday = now - timedelta(days=1)
    fresh = article(1).model_copy(update={"fetched_at": now, "published_at": yesterday})
    old = article(2).model_copy(update={"fetched_at": now - timedelta(days=3)})
    copy = article(3, dup="a1").model_copy(update={"fetched_at": now})
    mentions = [
        CountryMention(
            article_id="a1",
            country_code="KE",
            country_name="Kenya",
            mentions=3,
            first_offset=0,
            snippet="Kenya signed",
        ),
        CountryMention(
            article_id="a2",
            country_code="KE",
            country_name="Kenya",
            mentions=1,
            first_offset=0,
            snippet="Kenya",
        ),
    ]
    alert = Alert(
        alert_id="k",
        country_code="KE",
        country_name="Kenya",
        article_id="a1",
        raised_at=now,
        run_id="r1",
    )
    store.store_batch(db, [fresh, old, copy], mentions, [alert])
    assert db.execute("SELECT article_id FROM articles_last_day").fetchall() == [("a1",)]
    assert sorted(db.execute("SELECT article_id FROM articles_last_week").fetchall()) == [
        ("a1",),
        ("a2",),
    ]
    daily = db.execute(
        "SELECT day, country_code, articles, mentions FROM country_mentions_daily ORDER BY day"
    ).fetchall()
    assert [(r[1], r[2], r[3]) for r in daily] == [("KE", 1, 1), ("KE", 1, 3)]
    assert daily[1][0] == yesterday.date()
    assert db.execute(
        "SELECT country_code, first_title, first_snippet FROM new_countries"
    ).fetchall() == [("KE", "T1", "Kenya signed")]
    store.register_feeds(db, [FeedSpec(url="https://f/rss", name="F")])
    assert db.execute("SELECT name, needs_attention FROM feed_health").fetchall() == [("F", False)]


def test_feed_list_is_registered_in_one_statement_and_updated_in_place(db) -> None:
    store.register_feeds(
        db,
        [
            FeedSpec(url="https://a/rss", name="A", tags=("world",)),
            FeedSpec(url="https://b/rss", name="B"),
            FeedSpec(url="https://a/rss", name="A again", tags=("world", "africa")),
        ],
    )
    store.register_feeds(db, [FeedSpec(url="https://b/rss", name="B renamed", tags=("x'y",))])
    assert db.execute("SELECT feed_url, name, tags FROM feeds ORDER BY 1").fetchall() == [
        ("https://a/rss", "A again", ["world", "africa"]),
        ("https://b/rss", "B renamed", ["x'y"]),
    ]


def test_archive_keeps_the_latest_body_of_each_page(tmp_path: Path) -> None:
    """One statement per batch, bodies as base64: a page fetched again replaces its body, and
    the bytes come back exactly (binary, including NUL and invalid UTF-8)."""
    from ingest.archive import pack, unpack
    from ingest.models import FeedEntry, FetchResult

    def page(n: int, body: bytes):
        url = f"https://x.example/{n}"
        entry = FeedEntry(
            feed_url="https://x.example/feed",
            entry_id=str(n),
            url=url,
            canonical_url=url,
            title=f"T{n}",
        )
        return pack(
            entry,
            FetchResult(
                url=url,
                final_url=url,
                status=200,
                content=body,
                headers={"content-type": "text/html"},
            ),
            NOW,
            "r1",
        )

    con = connect(tmp_path / "w.duckdb")
    store.archive_pages(con, [page(1, b"<p>first</p>"), page(2, b"\x00\xff<p>two</p>" * 50)])
    store.archive_pages(con, [page(1, b"<p>older copy</p>"), page(1, b"<p>second</p>")])
    rows = {
        r["canonical_url"]: unpack(r)[1].content
        for b in store.archived_pages(con, None, 10)
        for r in b
    }
    con.close()
    assert rows == {
        "https://x.example/1": b"<p>second</p>",
        "https://x.example/2": b"\x00\xff<p>two</p>" * 50,
    }


def test_feed_health_update_keeps_what_a_failure_does_not_replace(tmp_path: Path) -> None:
    """All feeds' outcomes go in one UPDATE: a failure keeps the last success time and the
    entry count, a 304 keeps the count and counts as a success."""
    from ingest.feed_schedule import apply_outcome
    from ingest.models import FeedOutcome

    url = "https://a.example/rss"
    con = connect(tmp_path / "w.duckdb")
    store.register_feeds(con, [FeedSpec(url=url, name="A")])
    steps = [
        (FeedOutcome(feed_url=url, name="A", status="ok", entries_seen=5, etag='"e"'), NOW),
        (FeedOutcome(feed_url=url, name="A", status="error", error="HTTP 500"), NOW + HOUR),
        (FeedOutcome(feed_url=url, name="A", status="not_modified"), NOW + 2 * HOUR),
    ]
    seen = []
    state = None
    for outcome, at in steps:
        state = apply_outcome(state, outcome, at, 3)
        store.record_feed_outcomes(con, [(outcome, state, 1)], at)
        seen.append(
            con.execute(
                "SELECT last_status, last_fetched_at, last_success_at, entries_seen,"
                " consecutive_failures FROM feeds"
            ).fetchone()
        )
    con.close()
    assert seen == [
        ("ok", NOW, NOW, 5, 0),
        ("error", NOW + HOUR, NOW, 5, 1),
        ("not_modified", NOW + 2 * HOUR, NOW + 2 * HOUR, 5, 0),
    ]


def test_a_queued_entry_is_carried_a_bounded_number_of_times_then_given_up(db) -> None:
    from ingest.models import FeedEntry, FeedOutcome, FeedState

    entry = FeedEntry(
        feed_url="https://f/rss",
        entry_id="e",
        url="https://x.example/e",
        canonical_url="https://x.example/e",
    )
    outcome = FeedOutcome(feed_url="https://f/rss", name="F", status="ok", entries_seen=1)
    store.register_feeds(db, [FeedSpec(url="https://f/rss", name="F")])
    state = FeedState(feed_url="https://f/rss")
    store.record_feeds_and_queue(db, [(outcome, state, 1)], [entry], NOW, "r0")
    carried = [store.queued_entries(db, f"r{n}", NOW + n * HOUR) for n in range(1, 6)]
    assert [len(c) for c in carried] == [1, 1, 1, 0, 0]
    assert db.execute("SELECT count(*) FROM entry_queue").fetchone() == (0,)
    assert db.execute(
        "SELECT run_id, url, stage, error FROM fetch_log WHERE stage = 'queue'"
    ).fetchall() == [
        (
            "r4",
            "https://x.example/e",
            "queue",
            "given up: 3 runs that carried this entry did not finish",
        )
    ]


def test_revisions_of_a_batch_keep_old_texts_and_move_only_dates_of_unchanged_ones(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """The batch's revisions in a few statements: a changed text becomes revision 1 and the
    article shows the new one with new mentions; an unchanged text only moves its entry date;
    an id that is not stored is left alone."""
    mention = CountryMention(
        article_id="a1",
        country_code="KE",
        country_name="Kenya",
        mentions=1,
        first_offset=0,
        snippet="Kenya",
    )
    store.store_batch(db, [article(1), article(2)], [mention], [])
    later = NOW + HOUR
    changed = article(1, text="new text 1").model_copy(
        update={"content_hash": "h1b", "entry_updated_at": later, "fetched_at": later}
    )
    same = article(2).model_copy(update={"entry_updated_at": later})
    unknown = article(9)
    new_mention = mention.model_copy(update={"country_code": "TZ", "country_name": "Tanzania"})
    assert store.store_revisions(db, [changed, same, unknown], [new_mention], [], later) == 1
    rows = db.execute(
        "SELECT article_id, text, revision, entry_updated_at FROM articles ORDER BY 1"
    ).fetchall()
    assert rows == [("a1", "new text 1", 2, later), ("a2", "text 2", 1, later)]
    assert db.execute(
        "SELECT article_id, revision, text, replaced_at FROM revisions"
    ).fetchall() == [("a1", 1, "text 1", later)]
    assert db.execute("SELECT article_id, country_code FROM country_mentions").fetchall() == [
        ("a1", "TZ")
    ]
    assert store.originals_among(db, ["a1", "a2", "a9"]) == {"a1", "a2"}


def test_a_re_check_answered_304_moves_only_the_entry_dates_on(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """The page did not change: the dates the feed gave move on (a date the entry no longer
    gives is kept), so the same dates do not have it re-checked again; text and revision stay."""
    stored = article(1).model_copy(
        update={"entry_updated_at": NOW, "entry_published_at": NOW, "page_etag": '"v1"'}
    )
    store.store_batch(db, [stored], [], [])
    store.move_entry_dates(db, [("a1", None, NOW + HOUR), ("a9", NOW, NOW)])
    assert store.stored_entries(db, ["https://x/a1"])["https://x/a1"] == (
        StoredEntry(updated_at=NOW, published_at=NOW + HOUR, fetched_at=NOW, etag='"v1"')
    )
    assert db.execute("SELECT text, revision FROM articles").fetchall() == [("text 1", 1)]


def test_a_later_date_from_the_feed_has_the_page_re_checked() -> None:
    """Atom's <updated> or RSS's pubDate later than the one stored; nothing else."""
    from ingest.articles import is_update

    stored = StoredEntry(updated_at=None, published_at=NOW, fetched_at=NOW + HOUR)

    def entry(**dates: datetime | None) -> FeedEntry:
        return FeedEntry(feed_url="f", entry_id="e", url="u", canonical_url="u", **dates)

    assert is_update(entry(published_at=NOW + 2 * HOUR), stored)  # RSS re-dated later
    assert is_update(entry(published_at=NOW, updated_at=NOW + 2 * HOUR), stored)
    assert not is_update(entry(published_at=NOW), stored)  # the same date
    assert not is_update(entry(published_at=NOW - HOUR), stored)  # an earlier date
    assert not is_update(entry(updated_at=NOW + HOUR), stored)  # not after the fetch
    assert not is_update(entry(), stored)
    # An article stored with no entry date: a date after its fetch is the feed saying so.
    undated = StoredEntry(fetched_at=NOW)
    assert is_update(entry(published_at=NOW + HOUR), undated)
