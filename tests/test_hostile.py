"""Hostile and broken input: each gives a recorded, readable reason and never an exception."""

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loopback import serve
from pytest_httpserver import HTTPServer

from ingest.errors import SeedError
from ingest.extract import extract_page
from ingest.feed_parser import parse_feed, read_feed
from ingest.fetch import FetchLimits
from ingest.models import FetchResult
from ingest.normalize import normalize_text
from ingest.seeds import parse_seed
from ingest.session import fetch_all_sync
from ingest.settings import Settings
from ingest.urls import canonical_url

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def page(content: bytes) -> FetchResult:
    return FetchResult(
        url="https://h.example/a", final_url="https://h.example/a", status=200, content=content
    )


def test_feed_of_50000_entries_keeps_the_first_500(httpserver: HTTPServer, settings) -> None:
    items = "".join(
        f"<item><title>t{i}</title><link>https://h.example/{i}</link></item>" for i in range(50_000)
    )
    httpserver.expect_request("/huge.xml").respond_with_data(
        f'<rss version="2.0"><channel><title>Huge</title>{items}</channel></rss>',
        content_type="application/rss+xml",
    )
    (result,) = fetch_all_sync(
        settings, [httpserver.url_for("/huge.xml")], FetchLimits.for_feeds(settings)
    )
    outcome, parsed = read_feed(result.url, "Huge", result, max_entries=500)
    assert outcome.status == "ok" and outcome.entries_seen == 500
    assert parsed is not None and "49500 entries past the 500 cap" in parsed.skipped[-1]


def test_feed_entries_past_the_cap_are_counted_not_parsed_into_articles() -> None:
    items = "".join(
        f"<item><title>t{i}</title><link>https://h.example/{i}</link></item>" for i in range(5_000)
    )
    feed = parse_feed(
        f'<rss version="2.0"><channel>{items}</channel></rss>'.encode(),
        "https://h.example/feed",
        max_entries=500,
    )
    assert len(feed.entries) == 500 and "4500 entries past the 500 cap" in feed.skipped[-1]


def test_fifty_megabyte_page_is_cut_off_at_the_page_cap(settings: Settings) -> None:
    chunk = b"<p>" + b"x" * (1024 * 1024 - 3)

    def big(handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        try:
            for _ in range(50):
                handler.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    with serve({"/big.html": big}) as (base, _stats):
        limits = FetchLimits.for_pages(settings)
        limits.obey_robots = False
        (result,) = fetch_all_sync(settings, [f"{base}/big.html"], limits)
    assert result.error is not None and "10485760 byte limit" in result.error


def test_invalid_utf8_nul_bytes_and_deep_nesting_never_raise() -> None:
    from flows.demo import SITE_DIR

    clean = (SITE_DIR / "harbor/2026/11/kenya-tanzania-rail.html").read_bytes()
    broken = clean.replace(
        b"Kenya and Tanzania signed", b"Kenya \xc3\x28and\x00 Tanzania\xff signed"
    )
    result = extract_page(page(broken))
    assert not isinstance(result, str) and "\x00" not in result.text
    assert "Tanzania" in result.text and "Mombasa" in result.text
    nested = b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body>"
    assert isinstance(extract_page(page(nested)), str)
    assert isinstance(extract_page(page(b"")), str)


def test_hostile_links_in_entries_are_skipped_with_reasons() -> None:
    items = "".join(
        f"<item><title>{u}</title><link>{u}</link></item>"
        for u in ("javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "mailto:a@b.c")
    )
    feed = parse_feed(
        f'<rss version="2.0"><channel>{items}</channel></rss>'.encode(), "https://h.example/feed"
    )
    assert feed.entries == () and len(feed.skipped) == 4


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_feed_parsing_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    feed = parse_feed(raw, "https://h.example/feed")
    for entry in feed.entries:
        assert entry.canonical_url.startswith(("http://", "https://"))


@given(st.text(max_size=300))
def test_canonical_url_never_raises_anything_but_value_error(text: str) -> None:
    try:
        once = canonical_url(text)
    except ValueError:
        return
    assert canonical_url(once) == once


@given(st.binary(max_size=500))
def test_seed_parsing_raises_only_seed_errors(raw: bytes) -> None:
    try:
        seed = parse_seed("fuzz.txt", raw, NOW)
    except SeedError as exc:
        assert "fuzz.txt" in str(exc)
        return
    assert seed.text and seed.published_at is not None


@given(
    st.dates(min_value=datetime(1900, 1, 1).date()),
    st.text(min_size=1, max_size=80),
    st.text(max_size=300),
)
def test_well_formed_seeds_round_trip(day, sentence, body) -> None:
    sentence = " ".join(sentence.split())
    if not normalize_text(sentence):  # only control characters: no sentence, a SeedError
        sentence = "A sentence."
    raw = f" date {day.isoformat()} {sentence}\n\n{body}".encode()
    seed = parse_seed("gen.txt", raw, NOW)
    assert seed.published_at.date() == day
    assert seed.title == normalize_text(sentence)


def test_metadata_is_one_clean_line_of_bounded_length() -> None:
    from ingest.articles import build_article
    from ingest.models import ExtractedPage, FeedEntry
    from ingest.normalize import MAX_NAME_CHARS, MAX_TITLE_CHARS

    entry = FeedEntry(
        feed_url="https://h.example/feed",
        entry_id="e",
        url="https://h.example/a",
        canonical_url="https://h.example/a",
        title="\x00\u200b\x07",  # nothing left: the page's title is used
    )
    page = ExtractedPage(
        url=entry.url,
        final_url=entry.url,
        title="Peru\x00 votes\r\n" + "on and on " * 450_000,  # 4.5 MB
        author="A\x1b[31m. Writer" + "x" * 5000,
        site_name="Harbor\u2028Daily",
        text="Body text.",
    )
    article = build_article(entry, page, NOW, "r1")
    assert article.title is not None and article.title.startswith("Peru votes on and on")
    assert len(article.title) <= MAX_TITLE_CHARS and article.title.endswith("…")
    assert article.author is not None and len(article.author) <= MAX_NAME_CHARS
    assert "\x1b" not in article.author and article.site_name == "Harbor Daily"
