"""A few words of context around a match, cut at word boundaries: what a reader sees of an
article in a digest, a report or a search result ("…the fleet left the Black Sea for…")."""

from __future__ import annotations


def around(text: str, start: int, end: int, radius: int = 80) -> str:
    """The words within ``radius`` characters of ``text[start:end]``, whitespace collapsed,
    never a word cut in half; "…" marks what was left out."""
    lo, hi = max(0, start - radius), min(len(text), end + radius)
    if lo > 0:
        cut = _space(text, lo, start, first=True)
        lo = cut + 1 if cut >= 0 else lo
    if hi < len(text):
        cut = _space(text, end, hi, first=False)
        hi = cut if cut >= 0 else hi
    inner = " ".join(text[lo:hi].split())
    return ("…" if lo > 0 else "") + inner + ("…" if hi < len(text) else "")


def _space(text: str, lo: int, hi: int, first: bool) -> int:
    """The first (or last) whitespace in ``text[lo:hi]``, or -1."""
    positions = range(lo, hi) if first else range(hi - 1, lo - 1, -1)
    return next((i for i in positions if text[i].isspace()), -1)
