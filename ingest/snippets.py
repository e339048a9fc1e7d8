"""A few words of context around a match, cut at word boundaries: what a reader sees of an
article in a digest, a report or a search result ("…the fleet left the Black Sea for…"); and
the case folding that keeps a text's offsets, so that a match found in the folded text is a
span of the text itself."""

from __future__ import annotations


def around(text: str, start: int, end: int, radius: int = 80) -> str:
    """The words within ``radius`` characters of ``text[start:end]``, whitespace collapsed,
    never a word cut in half; "…" marks what was left out."""
    start, end = min(start, len(text)), min(end, len(text))
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


def fold_keeping_offsets(text: str) -> str:
    """Lower case that keeps every offset: a character whose lower case is longer ("İ") is
    kept as it is, so positions found in the folded text are positions in the text."""
    folded = text.lower()
    if len(folded) == len(text):
        return folded
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


# Letters whose case folding differs by language, written one way before folding: Turkish
# dotted capital I (casefold gives "i" plus a combining dot), Romanian s and t with a cedilla
# (the older spelling of ș and ț).
_FOLD = str.maketrans({"İ": "I", "ş": "ș", "Ş": "Ș", "ţ": "ț", "Ţ": "Ț"})


_FOLDED_APART = tuple(chr(c) for c in _FOLD)


def casefold_keeping_offsets(text: str) -> str:
    """Case folding that keeps every offset, for the gazetteer's keys and the text alike: a
    character that folds to two ("ß" to "ss") is lower-cased instead, or kept, so that
    "Großbritannien" matches in a text as its key was made."""
    if any(ch in text for ch in _FOLDED_APART):  # rare: translate() costs a pass over the text
        text = text.translate(_FOLD)
    folded = text.casefold()
    if len(folded) == len(text):
        return folded
    folded = "ß".join(part.casefold() for part in text.replace("ẞ", "ß").split("ß"))
    if len(folded) == len(text):  # German's ß, the common case, at the speed of casefold
        return folded
    return "".join(c if len(c := ch.casefold()) == 1 else _lower_one(ch) for ch in text)


def _lower_one(ch: str) -> str:
    lower = ch.lower()
    return lower if len(lower) == 1 else ch
