"""Seed articles: the baseline every later article is compared with.

A seed file's first line is `` date YYYY-MM-DD `` followed by the article's first sentence; the
rest of the file is the body. A malformed seed stops the run: silently skipping one would let its
syndicated copies in as originals and make its countries raise alerts.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from ingest.errors import SeedError
from ingest.models import Article
from ingest.normalize import content_hash, normalize_text, short_id

_HEADER = re.compile(r"^\s*date\s+(\S+)\s+(.*)$")
SEED_URL_SCHEME = "seed:"


def parse_seed(name: str, raw: bytes, loaded_at: datetime) -> Article:
    """Parse one seed file's bytes; ``SeedError`` names the file and the problem."""
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SeedError(f"seed {name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    first, _, rest = content.partition("\n")
    match = _HEADER.match(first)
    if not match:
        raise SeedError(f"seed {name}: first line must be ' date YYYY-MM-DD <first sentence>'")
    date_text, first_sentence = match.groups()
    try:
        day = datetime.strptime(date_text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise SeedError(f"seed {name}: bad date {date_text!r}, expected YYYY-MM-DD") from None
    first_sentence = normalize_text(first_sentence)
    if not first_sentence:
        raise SeedError(f"seed {name}: the first line has no sentence after the date")
    text = normalize_text(first_sentence + "\n\n" + rest)
    canonical = SEED_URL_SCHEME + name
    return Article(
        article_id=short_id(canonical),
        source="seed",
        url=canonical,
        canonical_url=canonical,
        title=first_sentence,
        published_at=day,
        fetched_at=loaded_at,
        text=text,
        content_hash=content_hash(text),
    )


def load_seeds(folder: Path, loaded_at: datetime | None = None) -> list[Article]:
    """Every ``*.txt`` in the folder, in name order."""
    if not folder.is_dir():
        raise SeedError(f"seeds folder not found: {folder}")
    loaded_at = loaded_at or datetime.now(UTC)
    return [parse_seed(p.name, p.read_bytes(), loaded_at) for p in sorted(folder.glob("*.txt"))]
