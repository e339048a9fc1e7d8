"""The shared development corpus (../shared/corpus), extracted once per process."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from ingest.extract import extract_page
from ingest.models import ExtractedPage, FetchResult

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def available() -> bool:
    return (CORPUS / "manifest.jsonl").is_file()


def manifest() -> list[dict[str, object]]:
    return [
        json.loads(line)
        for line in (CORPUS / "manifest.jsonl").read_text().splitlines()
        if line.strip()
    ]


@functools.lru_cache(maxsize=1)
def extracted() -> list[tuple[dict[str, object], ExtractedPage]]:
    """Every corpus page that yields an article, with its manifest row."""
    out = []
    for row in manifest():
        path = CORPUS / str(row["file"])
        url = f"https://corpus.example/{row['id']}"
        result = extract_page(
            FetchResult(url=url, final_url=url, status=200, content=path.read_bytes())
        )
        if not isinstance(result, str):
            out.append((row, result))
    return out
