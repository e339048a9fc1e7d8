"""Duplicates: the same story is stored once, however it reaches us.

Two checks, cheapest first:

* **exact** — the normalized text's hash (``content_hash``); a lookup.
* **near** — word 5-gram shingles, MinHash signatures (rensa, chosen by measurement: see
  docs/dedupe.md) and LSH band keys. Candidates that share a band key are verified on their
  exact shingle sets: a copy is a duplicate when its Jaccard similarity reaches
  ``JACCARD_MIN``, or when one text is (almost) contained in the other and the smaller is long
  enough to be a story rather than a brief (teasers, added editor's notes and related links,
  trimmed or added last paragraphs). A follow-up that quotes one paragraph shares too little.

Two signatures per text: one over the whole text (32 bands × 4 rows) and one over its first
``LEAD_SHINGLES`` shingles (8 bands × 4 rows), which finds a teaser whose Jaccard with the
full story is low but whose opening is the same.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import rensa

from ingest.models import Article

SHINGLE_WORDS = 5
FULL_BANDS, FULL_ROWS = 32, 4
LEAD_BANDS, LEAD_ROWS = 8, 4
LEAD_SHINGLES = 60
SEED = 20261128
# Thresholds chosen on the labelled pair set (docs/dedupe.md): syndicated copies with chrome,
# notes or a changed last paragraph stay above 0.6 Jaccard or 0.85 containment; follow-ups
# quoting a paragraph and templated pieces with other numbers stay below.
JACCARD_MIN = 0.6
CONTAINMENT_MIN = 0.85
CONTAINMENT_MIN_SHINGLES = 40
# Bump when tokens, shingles, signatures or band keys change: the stored index is rebuilt.
INDEX_VERSION = 1

_TOKEN = re.compile(r"\w+")
_BAND_MULT = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F], dtype=np.uint64)


def tokens(text: str) -> list[str]:
    """Words of the text, case- and Unicode-folded; punctuation and quote styles drop out."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def shingle_list(words: Sequence[str]) -> list[str]:
    """Word 5-grams in text order (one shingle for texts shorter than five words)."""
    if len(words) < SHINGLE_WORDS:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)]


def shingle_set(text: str) -> set[int]:
    return {zlib.crc32(s.encode()) for s in shingle_list(tokens(text))}


def _signature(shingles: Sequence[str], num_perm: int) -> np.ndarray:
    sketch = rensa.RMinHash(num_perm=num_perm, seed=SEED)
    sketch.update(list(shingles))
    return np.asarray(sketch.digest(), dtype=np.uint64)


def _band_keys(signature: np.ndarray, bands: int, rows: int, offset: int) -> list[int]:
    """One 32-bit key per band; the band's number is mixed in so bands never collide."""
    grid = signature.reshape(bands, rows)
    mixed = (grid * _BAND_MULT[:rows]).sum(axis=1, dtype=np.uint64)
    mixed ^= (np.arange(bands, dtype=np.uint64) + np.uint64(offset)) * np.uint64(0x165667B1)
    mixed ^= mixed >> np.uint64(29)
    mixed *= np.uint64(0xBF58476D1CE4E5B9)
    mixed ^= mixed >> np.uint64(32)
    return [int(k) for k in (mixed & np.uint64(0xFFFFFFFF))]


@dataclass(frozen=True)
class Fingerprint:
    """What near-duplicate detection needs of one text."""

    band_keys: tuple[int, ...]
    shingles: frozenset[int]


def fingerprint(text: str) -> Fingerprint:
    shingles = shingle_list(tokens(text))
    full = _signature(shingles, FULL_BANDS * FULL_ROWS)
    keys = _band_keys(full, FULL_BANDS, FULL_ROWS, 0)
    lead = _signature(shingles[:LEAD_SHINGLES], LEAD_BANDS * LEAD_ROWS)
    keys += _band_keys(lead, LEAD_BANDS, LEAD_ROWS, FULL_BANDS)
    return Fingerprint(tuple(keys), frozenset(zlib.crc32(s.encode()) for s in shingles))


@dataclass(frozen=True)
class Match:
    similarity: float
    method: str  # "jaccard" or "containment"


def compare(a: frozenset[int] | set[int], b: frozenset[int] | set[int]) -> Match | None:
    """Verify a candidate pair on exact shingle sets; None when it is not a duplicate."""
    if not a or not b:
        return None
    common = len(a & b)
    jaccard = common / (len(a) + len(b) - common)
    if jaccard >= JACCARD_MIN:
        return Match(round(jaccard, 4), "jaccard")
    smaller = min(len(a), len(b))
    containment = common / smaller
    if smaller >= CONTAINMENT_MIN_SHINGLES and containment >= CONTAINMENT_MIN:
        return Match(round(containment, 4), "containment")
    return None


def mark_duplicates(articles: Sequence[Article], stored: Mapping[str, str]) -> list[Article]:
    """Exact duplicates: set ``duplicate_of`` where the content hash was seen before.

    ``stored`` maps content_hash → article_id of the stored original. Within the batch the first
    article (in the given order) is the original.
    """
    known = dict(stored)
    result = []
    for article in articles:
        original = known.get(article.content_hash)
        if original is not None and original != article.article_id:
            result.append(
                article.model_copy(
                    update={"duplicate_of": original, "similarity": 1.0, "dup_method": "exact"}
                )
            )
        else:
            known.setdefault(article.content_hash, article.article_id)
            result.append(article)
    return result


def mark_near_duplicates(
    articles: Sequence[Article],
    prints: Mapping[str, Fingerprint],
    candidates: Mapping[str, Sequence[str]],
    candidate_shingles: Mapping[str, frozenset[int]],
    originals: Mapping[str, str],
) -> list[Article]:
    """Near duplicates among articles not yet marked.

    ``candidates`` maps an article id to stored article ids sharing a band key;
    ``candidate_shingles`` gives their shingle sets and ``originals`` maps a stored id to its
    original. Earlier articles of the batch are candidates too (checked by band key here).
    """
    batch_bands: dict[int, list[str]] = {}
    batch_shingles: dict[str, frozenset[int]] = {}
    result = []
    for article in articles:
        fp = prints.get(article.article_id)
        if article.duplicate_of is not None or fp is None:
            result.append(article)
            continue
        best: tuple[Match, str] | None = None
        pool = [
            (cid, candidate_shingles.get(cid)) for cid in candidates.get(article.article_id, ())
        ]
        seen_batch = {cid for key in fp.band_keys for cid in batch_bands.get(key, ())}
        pool += [(cid, batch_shingles[cid]) for cid in sorted(seen_batch)]
        for cid, other in pool:
            if other is None or cid == article.article_id:
                continue
            match = compare(fp.shingles, other)
            if match and (best is None or match.similarity > best[0].similarity):
                best = (match, cid)
        if best is not None:
            match, cid = best
            result.append(
                article.model_copy(
                    update={
                        "duplicate_of": originals.get(cid, cid),
                        "similarity": match.similarity,
                        "dup_method": f"minhash-{match.method}",
                    }
                )
            )
            continue
        for key in fp.band_keys:
            batch_bands.setdefault(key, []).append(article.article_id)
        batch_shingles[article.article_id] = fp.shingles
        result.append(article)
    return result
