"""JSON Feed (jsonfeed.org, versions 1.0 and 1.1): bytes in, the same entries as RSS and Atom.

feedparser reads only XML, and a publisher serving JSON Feed would otherwise be "not a feed".
The format is small: a top-level object whose ``version`` is the spec's URL and whose ``items``
carry ``id``, ``url`` (or ``external_url``), ``title``, ``date_published`` and ``date_modified``
(RFC 3339). An item without a usable link is skipped with the reason, as in ``feed_parser``.
"""

from __future__ import annotations

import json
from typing import Any

from ingest.feed_entries import keep_entries, make_entry, parse_date
from ingest.models import FeedEntry, ParsedFeed

VERSIONS = {
    "https://jsonfeed.org/version/1": "json10",
    "https://jsonfeed.org/version/1.1": "json11",
}
MEDIA_TYPES = ("application/feed+json", "application/json")


def looks_like_json_feed(content: bytes, headers: dict[str, str]) -> bool:
    """A body that opens as a JSON object, served as JSON or naming jsonfeed.org near its start
    (servers often send JSON Feed as text/plain or with no type at all). An XML body is never
    taken for JSON, whatever its Content-Type says."""
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and (kind in MEDIA_TYPES or b"jsonfeed.org" in head)


def _text(value: Any) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _entry(item: Any, feed_url: str) -> FeedEntry | str:
    """One item of the feed, or why it was skipped."""
    if not isinstance(item, dict):
        return "item is not an object"
    link = item.get("url") or item.get("external_url")
    if not isinstance(link, str) or not link.strip():
        return f"item {item.get('id') or item.get('title') or '?'!r}: no link"
    title = item.get("title")
    return make_entry(
        feed_url,
        link,
        item.get("id"),
        title if isinstance(title, str) else None,
        parse_date(item.get("date_published")),
        parse_date(item.get("date_modified")),
        item,
    )


def parse_json_feed(content: bytes, feed_url: str, max_entries: int = 500) -> ParsedFeed:
    """Parse JSON Feed bytes. A body that is not JSON, or JSON that is not a JSON Feed, gives
    no entries and a ``bozo_reason`` saying which; entries past ``max_entries``, without a
    link or repeating an earlier one's URL are left out like in an XML feed."""
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        return ParsedFeed(feed_url=feed_url, bozo_reason=f"invalid JSON Feed: {exc}")
    version = (
        VERSIONS.get(str(document.get("version", "")).rstrip("/"))
        if isinstance(document, dict)
        else None
    )
    items = document.get("items") if isinstance(document, dict) else None
    if version is None or not isinstance(items, list):
        return ParsedFeed(
            feed_url=feed_url, bozo_reason="JSON without a JSON Feed version and items"
        )
    entries, skipped, dropped = keep_entries(
        items, len(items), max_entries, lambda item: _entry(item, feed_url)
    )
    return ParsedFeed(
        feed_url=feed_url,
        title=_text(document.get("title")),
        entries=entries,
        skipped=skipped,
        dropped=dropped,
        version=version,
    )
