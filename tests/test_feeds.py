"""Feed parsing on feeds written for the project; each fixture states what it expects."""

import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from conftest import FIXTURES

from ingest.feed_parser import cut_at_cap, parse_feed, read_feed
from ingest.models import FetchResult

FEEDS = FIXTURES / "feeds"
FEED_URL = "https://fixture.example/feed.xml"


def parse(name: str):
    return parse_feed((FEEDS / name).read_bytes(), FEED_URL)


def expectations(path: Path) -> list[str]:
    """A fixture's ``Expect:`` lines (in a comment at its end): each a Python expression over
    the parsed feed's fields, true when the parser does what the fixture is for."""
    text = path.read_bytes().decode("latin-1")  # the expressions are ASCII; the feed may not be
    return re.findall(r"^Expect: (.+)$", text, re.M)


CASES = [(p.name, e) for p in sorted(FEEDS.glob("*.xml")) for e in expectations(p)]


def test_every_feed_fixture_says_what_it_expects() -> None:
    assert {name for name, _ in CASES} == {p.name for p in FEEDS.glob("*.xml")}


@pytest.mark.parametrize(("fixture", "expectation"), CASES)
def test_feed_fixture(fixture: str, expectation: str) -> None:
    feed = parse(fixture)
    names = {field: getattr(feed, field) for field in type(feed).model_fields}
    assert eval(expectation, {"datetime": datetime, "UTC": UTC}, names), expectation


def test_external_entities_are_not_resolved() -> None:
    feed = parse("xxe.xml")
    hostname = Path("/etc/hostname")
    title = feed.entries[0].title or ""
    if hostname.exists() and hostname.read_text().strip():
        assert hostname.read_text().strip() not in title


def test_entry_cap() -> None:
    items = "".join(
        f"<item><title>t{i}</title><link>https://fixture.example/{i}</link></item>"
        for i in range(30)
    )
    raw = f'<rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()
    feed = parse_feed(raw, FEED_URL, max_entries=10)
    assert len(feed.entries) == 10
    assert any("20 entries past the 10 cap" in s for s in feed.skipped)


def test_feed_past_the_cap_is_parsed_cut_with_the_same_entries_as_whole() -> None:
    rss_items = "".join(
        f"<item><title>t{i}</title><link>https://fixture.example/{i}</link>"
        f"<pubDate>Tue, 03 Nov 2026 0{i % 10}:00:00 GMT</pubDate></item>"
        for i in range(40)
    )
    rss = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>Big</title>{rss_items}<dc:rights>r</dc:rights></channel></rss>"
    ).encode()
    atom_entries = "".join(
        f"<atom:entry><atom:title>a{i}</atom:title><atom:id>urn:{i}</atom:id>"
        f'<atom:link href="https://fixture.example/a/{i}"/></atom:entry>'
        for i in range(40)
    )
    atom = (
        '<atom:feed xmlns:atom="http://www.w3.org/2005/Atom"><atom:title>A</atom:title>'
        f"{atom_entries}</atom:feed>"
    ).encode()
    for raw in (rss, atom):
        cut = cut_at_cap(raw, 10)
        assert cut is not None and cut[1] == 40 and len(cut[0]) < len(raw) / 2
        feed = parse_feed(raw, FEED_URL, max_entries=10)
        whole = feedparser.parse(raw).entries[:10]
        assert [e.url for e in feed.entries] == [e.link for e in whole]
        assert [e.published_at for e in feed.entries] == [
            parse_feed(raw, FEED_URL, max_entries=40).entries[i].published_at for i in range(10)
        ]
        assert feed.bozo_reason is None and "30 entries past the 10 cap" in feed.skipped[-1]
    assert cut_at_cap(rss, 40) is None


def test_a_cut_that_would_break_the_feed_falls_back_to_the_whole_parse() -> None:
    """An <item> tag quoted in a CDATA section is no entry: the cut lands inside the CDATA,
    the cut document does not parse, and the whole one is parsed instead."""
    quoted = "<![CDATA[the tags <item> and <item/> open an entry]]>"
    items = "".join(
        f"<item><title>t{i}</title><description>{quoted}</description>"
        f"<link>https://fixture.example/{i}</link></item>"
        for i in range(4)
    )
    raw = f'<rss version="2.0"><channel>{items}</channel></rss>'.encode()
    assert cut_at_cap(raw, 3) is not None
    feed = parse_feed(raw, FEED_URL, max_entries=3)
    assert [e.url for e in feed.entries] == [f"https://fixture.example/{i}" for i in range(3)]
    assert feed.bozo_reason is None and "1 entries past the 3 cap" in feed.skipped[-1]


def result(status: int | None, content: bytes = b"", error: str | None = None, **headers: str):
    return FetchResult(
        url=FEED_URL,
        final_url=FEED_URL,
        status=status,
        content=content,
        error=error,
        headers=headers,
    )


def test_read_feed_outcomes() -> None:
    good = (FEEDS / "atom_basic.xml").read_bytes()
    outcome, parsed = read_feed(FEED_URL, "F", result(200, good, etag='"e1"'))
    assert outcome.status == "ok" and outcome.entries_seen == 2 and outcome.etag == '"e1"'
    assert parsed is not None and len(parsed.entries) == 2
    outcome, parsed = read_feed(FEED_URL, "F", result(304))
    assert outcome.status == "not_modified" and parsed is None
    outcome, _ = read_feed(FEED_URL, "F", result(404, error="HTTP 404"))
    assert outcome.status == "error" and outcome.error == "HTTP 404"
    outcome, _ = read_feed(FEED_URL, "F", result(200, b"   "))
    assert outcome.status == "error" and outcome.error == "empty response body"
    outcome, _ = read_feed(FEED_URL, "F", result(200, b"<html><body>Not a feed</body></html>"))
    assert outcome.status == "error" and outcome.error.startswith("not a feed")
    bad = (FEEDS / "malformed_keeps_entries.xml").read_bytes()
    outcome, parsed = read_feed(FEED_URL, "F", result(200, bad))
    assert outcome.status == "malformed" and outcome.entries_seen == 2


def test_json_feed_1_1_reads_into_the_same_entries() -> None:
    feed = parse_feed((FEEDS / "jsonfeed-1.1.json").read_bytes(), FEED_URL)
    assert (feed.version, feed.title, feed.bozo_reason) == ("json11", "Harbour Gazette", None)
    first, second, undated = feed.entries
    assert first.entry_id == "hg-1"
    assert first.title == "Ferry timetable changes for winter"
    assert first.canonical_url == "https://fixture.example/news/ferry-timetable"
    assert first.published_at == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert first.updated_at == datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    assert second.url == "https://fixture.example/news/market-day"  # external_url, relative
    assert undated.published_at is None
    assert feed.dropped == 1 and "no link" in feed.skipped[0]  # the repeat is not counted


def test_json_feed_1_0_served_as_text_is_still_json_feed() -> None:
    raw = (FEEDS / "jsonfeed-1.0.json").read_bytes()
    feed = parse_feed(raw, FEED_URL, {"content-type": "text/plain"})
    assert feed.version == "json10"
    assert feed.entries[0].published_at == datetime(2026, 11, 28, 12, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "invalid JSON Feed"),
        (b'{"name": "an API answer", "items": []}', "without a JSON Feed version"),
    ],
)
def test_json_that_is_not_a_json_feed_is_not_a_feed(body: bytes, reason: str) -> None:
    result = FetchResult(
        url=FEED_URL,
        final_url=FEED_URL,
        status=200,
        content=body,
        headers={"content-type": "application/json"},
    )
    outcome, _ = read_feed(FEED_URL, "json", result)
    assert outcome.failed and outcome.error is not None
    assert outcome.error.startswith("not a feed: ") and reason in outcome.error


def test_an_xml_feed_served_as_json_is_still_read_as_xml() -> None:
    raw = (FEEDS / "rss_dates_links.xml").read_bytes()
    feed = parse_feed(raw, FEED_URL, {"content-type": "application/json"})
    assert feed.version.startswith("rss") and feed.entries


def test_json_feed_entry_cap() -> None:
    items = ",".join(f'{{"id": "{i}", "url": "https://fixture.example/{i}"}}' for i in range(30))
    raw = f'{{"version": "https://jsonfeed.org/version/1.1", "items": [{items}]}}'.encode()
    feed = parse_feed(raw, FEED_URL, max_entries=10)
    assert len(feed.entries) == 10 and feed.dropped == 20


def test_a_json_feed_served_over_http_queues_its_entries(settings, db) -> None:
    """The whole feeds half of a night over a loopback JSON Feed, as the flow runs it."""
    from loopback import body, serve

    from ingest.models import FeedSpec
    from pipeline.batch import select_new
    from pipeline.feeds import fetch_due_feeds, read_feeds, record_feeds
    from warehouse import store

    raw = (FEEDS / "jsonfeed-1.1.json").read_bytes()
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    with serve({"/feed.json": body(raw, headers={"Content-Type": "application/feed+json"})}) as (
        base,
        _stats,
    ):
        spec = FeedSpec(url=f"{base}/feed.json", name="Harbour")
        store.register_feeds(db, [spec])
        states = store.feed_states(db, [spec.url])
        results = fetch_due_feeds(settings, [spec], states, now)
        outcomes, entries = read_feeds(settings, [spec], results, states)
        fresh, _ = select_new(db, entries)
        record_feeds(db, settings, "r1", now, results, outcomes, states, fresh)
    assert [(o.status, o.entries_seen) for o in outcomes] == [("ok", 3)]
    queued = db.execute("SELECT canonical_url FROM entry_queue ORDER BY 1").fetchall()
    assert {u for (u,) in queued} == {
        "https://fixture.example/news/ferry-timetable",
        f"{base}/news/market-day",  # a relative link is the feed's own host
        "https://fixture.example/news/undated",
    }
