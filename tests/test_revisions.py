"""A stored page re-checked because its feed entry came back with a later date: a conditional
GET with the page's own validators, a revision only when the text changed (issue 19, point 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
from loopback import serve

from flows.loopback import Handler
from ingest.articles import build_article
from ingest.extract import extract_many
from ingest.fetch import FetchLimits
from ingest.models import FeedEntry
from ingest.session import fetch_all_sync
from ingest.settings import Settings
from pipeline.batch import recheck_headers, revise, select_new
from warehouse import store

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
PARAGRAPHS = [
    "<p>The harbour board met on Tuesday to agree the winter dredging plan for the inner basin,"
    " which has silted up faster than the engineers expected after the autumn storms.</p>",
    "<p>Two dredgers will work in shifts from the first week of January, and the ferry berths"
    " will close one at a time so that crossings to the islands can go on as usual.</p>",
    "<p>The board's chair said the cost would come from the maintenance reserve rather than"
    " from higher mooring fees, which the fishing cooperative had warned against in October.</p>",
]


class Page:
    """An article page with an ETag that changes with its text; it records what it was asked."""

    def __init__(self) -> None:
        self.paragraphs = list(PARAGRAPHS)
        self.asked: list[str | None] = []

    @property
    def etag(self) -> str:
        return f'"v{len(self.paragraphs)}"'

    def route(self, h: Handler) -> None:
        self.asked.append(h.headers.get("If-None-Match"))
        if h.headers.get("If-None-Match") == self.etag:
            h.send(304, headers={"ETag": self.etag})
            return
        html = f"<html><body><article><h1>Dredging</h1>{''.join(self.paragraphs)}</article>"
        h.send(200, (html + "</body></html>").encode(), {"ETag": self.etag})


def entry(url: str, published: datetime) -> FeedEntry:
    return FeedEntry(
        feed_url="https://feed", entry_id=url, url=url, canonical_url=url, published_at=published
    )


def fetch(settings: Settings, entries: list[FeedEntry], headers: dict[str, dict[str, str]]):
    return fetch_all_sync(
        settings, [e.url for e in entries], FetchLimits.for_pages(settings), headers
    )


def test_an_rss_entry_re_dated_costs_a_304_and_a_changed_page_a_revision(
    settings: Settings, db: duckdb.DuckDBPyConnection
) -> None:
    page = Page()
    with serve({"/story": page.route}) as (base, _stats):
        first = entry(f"{base}/story", NOW - timedelta(hours=5))
        (fetched,) = fetch(settings, [first], {})
        (extracted,) = extract_many([fetched])
        assert not isinstance(extracted, str)
        store.store_batch(db, [build_article(first, extracted, NOW, "r1", fetched.headers)], [], [])

        # Night two: the feed re-lists it with a later pubDate; the page did not change.
        redated = entry(first.url, NOW + timedelta(hours=1))
        fresh, updated = select_new(db, [redated])
        assert (fresh, updated) == ([], [redated])
        checks = recheck_headers(db, updated)
        assert checks == {first.url: {"If-None-Match": '"v3"'}}
        pages = fetch(settings, updated, checks)
        assert [p.status for p in pages] == [304]
        assert revise(db, updated, pages, "r2") == 0
        assert select_new(db, [redated]) == ([], [])  # the same date is not re-checked again

        # Night three: later again, and this time the text changed.
        page.paragraphs.append("<p>Correction: the plan was agreed on Wednesday.</p>")
        again = entry(first.url, NOW + timedelta(hours=25))
        _, updated = select_new(db, [again])
        pages = fetch(settings, updated, recheck_headers(db, updated))
        assert revise(db, updated, pages, "r3") == 1
    assert page.asked == [None, '"v3"', '"v3"']
    text, revision, etag = db.execute("SELECT text, revision, page_etag FROM articles").fetchone()
    assert "Correction" in text and revision == 2 and etag == '"v4"'
    assert db.execute("SELECT count(*) FROM revisions").fetchone() == (1,)
