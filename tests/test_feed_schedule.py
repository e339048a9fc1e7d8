from datetime import UTC, datetime, timedelta

from ingest.feed_parser import body_hash, read_feed
from ingest.feed_schedule import apply_outcome, plan_fetch
from ingest.models import FeedOutcome, FeedState, FetchResult

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
URL = "https://feeds.example/rss"
RSS = (
    b'<rss version="2.0"><channel><title>T</title><item><title>a</title>'
    b"<link>https://feeds.example/a</link></item></channel></rss>"
)


def outcome(status: str, **kw) -> FeedOutcome:
    return FeedOutcome(feed_url=URL, name="F", status=status, **kw)


def test_validators_sent_until_too_many_304s_in_a_row() -> None:
    state = FeedState(feed_url=URL, etag='"e"', last_modified="Tue, 24 Nov 2026 10:00:00 GMT")
    assert plan_fetch(state, NOW, 7).headers == {
        "If-None-Match": '"e"',
        "If-Modified-Since": "Tue, 24 Nov 2026 10:00:00 GMT",
    }
    for _ in range(6):
        state = apply_outcome(state, outcome("not_modified"), NOW, 3)
    assert state.not_modified_streak == 6 and plan_fetch(state, NOW, 7).headers
    state = apply_outcome(state, outcome("not_modified"), NOW, 3)
    plan = plan_fetch(state, NOW, 7)
    assert plan.fetch and plan.headers == {} and "stale" in plan.reason
    state = apply_outcome(state, outcome("unchanged", etag='"e"', body_hash="h"), NOW, 3)
    assert state.not_modified_streak == 0 and plan_fetch(state, NOW, 7).headers


def test_unchanged_body_is_not_parsed() -> None:
    result = FetchResult(url=URL, final_url=URL, status=200, content=RSS)
    first, parsed = read_feed(URL, "F", result)
    assert first.status == "ok" and parsed is not None and first.body_hash == body_hash(RSS)
    again, parsed = read_feed(URL, "F", result, previous_hash=first.body_hash)
    assert again.status == "unchanged" and parsed is None


def test_failing_feed_backs_off_then_recovers() -> None:
    state = None
    for night in range(3):
        state = apply_outcome(
            state, outcome("error", error="HTTP 500"), NOW + timedelta(days=night), 3
        )
    assert state is not None and state.consecutive_failures == 3
    assert state.next_fetch_after == NOW + timedelta(days=2) + timedelta(days=1, hours=-1)
    plan = plan_fetch(state, NOW + timedelta(days=2, hours=12), 7)
    assert not plan.fetch and "backing off after 3 failures" in plan.reason
    assert plan_fetch(state, NOW + timedelta(days=3), 7).fetch
    state = apply_outcome(state, outcome("error", error="HTTP 500"), NOW + timedelta(days=3), 3)
    assert state.next_fetch_after == NOW + timedelta(days=3) + timedelta(days=2, hours=-1)
    for _ in range(10):
        state = apply_outcome(state, outcome("error"), NOW, 3)
    assert state.next_fetch_after == NOW + timedelta(days=7, hours=-1)
    state = apply_outcome(state, outcome("ok", etag='"n"', body_hash="b"), NOW, 3)
    assert state.consecutive_failures == 0 and state.next_fetch_after is None
    assert state.etag == '"n"'


def test_skipped_feed_keeps_its_state() -> None:
    state = FeedState(feed_url=URL, consecutive_failures=4, next_fetch_after=NOW)
    assert apply_outcome(state, outcome("skipped"), NOW, 3) == state


def test_feed_charset_from_http_header() -> None:
    raw = (
        '<rss version="2.0"><channel><title>Zürich</title><item><title>Grüße</title>'
        "<link>https://feeds.example/g</link></item></channel></rss>"
    ).encode("iso-8859-1")
    result = FetchResult(
        url=URL,
        final_url=URL,
        status=200,
        content=raw,
        headers={"content-type": "application/rss+xml; charset=iso-8859-1"},
    )
    out, parsed = read_feed(URL, "F", result)
    assert out.status == "ok" and parsed is not None
    assert parsed.title == "Zürich" and parsed.entries[0].title == "Grüße"
