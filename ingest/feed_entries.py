"""What every feed format shares: a link made an entry, and the entries a feed keeps.

Both parsers (``feed_parser`` for RSS and Atom, ``json_feed`` for JSON Feed) read their format's
fields and hand them here, so a link is resolved and canonicalized, and the cap, the repeats and
the skipped list counted, the same way whatever the format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urljoin

from ingest.models import FeedEntry
from ingest.urls import canonical_url

Item = TypeVar("Item")


def parse_date(value: Any) -> datetime | None:
    """A date as feeds write it outside what feedparser reads for us: ISO 8601 / RFC 3339
    (W3C-DTF, JSON Feed) or RFC 822, as UTC. A missing, odd or zone-less date stays None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


def make_entry(
    feed_url: str,
    link: str,
    entry_id: Any,
    title: str | None,
    published_at: datetime | None,
    updated_at: datetime | None,
    raw: dict[str, Any],
) -> FeedEntry | str:
    """The entry for a link (relative to the feed's URL), or why the link is unusable."""
    absolute = urljoin(feed_url, link.strip())
    try:
        canon = canonical_url(absolute)
    except ValueError as exc:
        return f"entry link {absolute[:200]!r}: {exc}"
    return FeedEntry(
        feed_url=feed_url,
        entry_id=str(entry_id or absolute),
        url=absolute,
        canonical_url=canon,
        title=" ".join(title.split()) if isinstance(title, str) and title.strip() else None,
        published_at=published_at,
        updated_at=updated_at,
        raw=raw,
    )


def keep_entries(
    items: Iterable[Item], total: int, max_entries: int, to_entry: Callable[[Item], FeedEntry | str]
) -> tuple[tuple[FeedEntry, ...], tuple[str, ...], int]:
    """The entries kept from a feed's first ``max_entries`` items (the first of each URL), the
    reasons the others were skipped, and how many were dropped: every skipped item and every
    item past the cap (of ``total``); a repeated URL is not counted."""
    entries: dict[str, FeedEntry] = {}
    skipped: list[str] = []
    for item in list(items)[:max_entries]:
        entry = to_entry(item)
        if isinstance(entry, str):
            skipped.append(entry)
        else:
            entries.setdefault(entry.canonical_url, entry)
    dropped = len(skipped)
    if total > max_entries:
        skipped.append(f"{total - max_entries} entries past the {max_entries} cap")
        dropped += total - max_entries
    return tuple(entries.values()), tuple(skipped), dropped
