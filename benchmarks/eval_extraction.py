"""Extraction on the shared corpus (issue 19, point 4): pages stored against pages trafilatura's
default options extract, and the gold snippets' F1, with and without the recall fallback.

``uv run python -m benchmarks.eval_extraction``. The corpus is the development split the
options were looked at on: these are in-sample figures.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import trafilatura

from benchmarks.corpus import CORPUS, available, manifest
from ingest.extract import decode_html, extract_page
from ingest.models import FetchResult
from ingest.normalize import normalize_text

DEFAULT_MIN_CHARS = 100  # what the issue counts as a page trafilatura's defaults extract


def _snippets(text: str, row: dict[str, Any]) -> tuple[int, int, int]:
    """(gold snippets found, unwanted snippets present, gold snippets) for one page."""
    folded = " ".join(text.split()).lower()
    found = sum(" ".join(str(s).split()).lower() in folded for s in row.get("gold_with") or [])
    unwanted = sum(
        " ".join(str(s).split()).lower() in folded for s in row.get("gold_without") or []
    )
    return found, unwanted, len(row.get("gold_with") or [])


def evaluate(fallback: bool) -> dict[str, Any]:
    stored = defaults = stored_of_defaults = 0
    found = unwanted = gold = without = 0
    reasons: Counter[str] = Counter()
    for row in manifest():
        content = (CORPUS / str(row["file"])).read_bytes()
        url = f"https://corpus.example/{row['id']}"
        page = FetchResult(url=url, final_url=url, status=200, content=content)
        default = trafilatura.extract(decode_html(content, None), url=url) or ""
        by_default = len(normalize_text(default)) >= DEFAULT_MIN_CHARS
        defaults += by_default
        result = extract_page(page, fallback=fallback)
        text = "" if isinstance(result, str) else result.text
        if isinstance(result, str):
            if by_default:
                reasons[result.split(" (")[0]] += 1
        else:
            stored += 1
            stored_of_defaults += by_default
        if row.get("has_gold"):
            f, u, g = _snippets(text, row)
            found, unwanted, gold = found + f, unwanted + u, gold + g
            without += len(row.get("gold_without") or [])
    recall = found / gold if gold else 0.0
    precision = 1 - unwanted / without if without else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pages": len(manifest()),
        "defaults_extract": defaults,
        "stored": stored,
        "stored_of_defaults": stored_of_defaults,
        "rejected_of_defaults": dict(reasons.most_common()),
        "gold_recall": round(recall, 3),
        "unwanted_absent": round(precision, 3),
        "f1": round(f1, 3),
    }


def main() -> int:
    if not available():
        print("the shared corpus is not here (../shared/corpus)", file=sys.stderr)
        return 2
    for label, fallback in (("before (precision only)", False), ("after (recall fallback)", True)):
        print(label, evaluate(fallback), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
