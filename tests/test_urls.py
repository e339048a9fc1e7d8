import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.urls import UnsafeURLError, canonical_url, check_url_allowed


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM:80/a/b/", "http://example.com/a/b"),
        ("https://example.com:443/a?b=2&a=1#top", "https://example.com/a?a=1&b=2"),
        (
            "https://news.example/story?utm_source=rss&utm_medium=feed&id=7&fbclid=x&gclid=y",
            "https://news.example/story?id=7",
        ),
        ("https://news.example/story/?mc_cid=1&mc_eid=2", "https://news.example/story"),
        ("https://news.example", "https://news.example/"),
        ("https://news.example:8443/x", "https://news.example:8443/x"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_tracking_variants_collapse() -> None:
    a = canonical_url("https://site.example/2026/story.html?utm_campaign=x")
    b = canonical_url("https://SITE.example/2026/story.html#comments")
    c = canonical_url("https://site.example:443/2026/story.html?fbclid=abc")
    assert a == b == c


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "data:,x", "/rel"])
def test_non_http_urls_are_rejected(url: str) -> None:
    with pytest.raises(ValueError):
        canonical_url(url)


@given(
    host=st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|org|example)", fullmatch=True),
    path=st.lists(st.text(alphabet="abcXYZ019-_.~%", max_size=6), max_size=4),
    query=st.lists(
        st.tuples(
            st.sampled_from(["id", "utm_source", "page", "fbclid", "q", "ref"]),
            st.text(alphabet="abc123", max_size=4),
        ),
        max_size=4,
    ),
    slash=st.booleans(),
)
def test_canonical_url_is_idempotent(host, path, query, slash) -> None:
    url = f"https://{host}/" + "/".join(path) + ("/" if slash else "")
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query)
    once = canonical_url(url)
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/a",
        "http://[::1]/a",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost/",
        "http://localhost./",
        "http://127.0.0.1./",
        "http://name-that-does-not-resolve.invalid/",
    ],
)
def test_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURLError):
        check_url_allowed(url, [])


def test_allowed_host_passes_the_guard() -> None:
    check_url_allowed("http://127.0.0.1:8000/a", ["127.0.0.1"])
    check_url_allowed("http://localhost.:8000/a", ["localhost"])
    with pytest.raises(UnsafeURLError, match="scheme"):
        check_url_allowed("file:///etc/passwd", ["127.0.0.1"])


def test_cidr_ranges_in_the_allow_list() -> None:
    from ingest.urls import allow_list_problem, host_allowed

    allow = ["127.0.0.0/8", "feeds.example"]
    assert host_allowed("127.0.0.2", allow) and host_allowed("127.250.3.4", allow)
    assert host_allowed("FEEDS.example.", allow) and not host_allowed("10.0.0.1", allow)
    assert not host_allowed("127-0-0-2.example", allow)
    check_url_allowed("http://127.0.0.251:8080/feed.xml", allow)
    check_url_allowed("http://localhost/feed.xml", ["127.0.0.0/8"])  # resolves inside
    with pytest.raises(UnsafeURLError):
        check_url_allowed("http://localhost/feed.xml", ["10.0.0.0/8"])
    assert allow_list_problem(["127.0.0.0/8", "a.example"]) is None
    assert "not a host name or CIDR range: '127.0.0.0/33'" in str(
        allow_list_problem(["127.0.0.0/33"])
    )
