"""Text normalization and the exact-duplicate key."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACES = re.compile(r"[^\S\n]+")
_BLANKS = re.compile(r"\n{2,}")
_QUOTES = {
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "«": '"',
    "»": '"',
    "–": "-",
    "—": "-",
}
_QUOTE_CHARS = re.compile(f"[{''.join(_QUOTES)}]")


def normalize_text(text: str) -> str:
    """NFC, one space between words, one blank line at most between paragraphs."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\x00", "")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


# Metadata fields are one line of display text. Headlines run to 200 characters at most in
# the corpus; anything far longer (a 4.5 MB title was seen) is a page's body in the wrong place.
MAX_TITLE_CHARS = 500
MAX_NAME_CHARS = 200  # an author or a site's name


def clean_field(value: str | None, max_chars: int) -> str | None:
    """A metadata field as one clean line: control and format characters dropped (U+0000 was
    seen in titles), white space folded, cut at a word boundary within ``max_chars`` with an
    ellipsis. None when nothing is left."""
    if value is None:
        return None
    kept = "".join(
        c if unicodedata.category(c)[0] != "C" else (" " if c.isspace() else "") for c in value
    )
    line = " ".join(unicodedata.normalize("NFC", kept).split())
    if len(line) > max_chars:
        cut = line[: max_chars - 1]
        space = cut.rfind(" ")
        line = (cut[:space] if space > max_chars // 2 else cut).rstrip() + "…"
    return line or None


def hash_key(text: str) -> str:
    """The text as compared for exact duplicates: case, quotes and layout do not matter."""
    text = _QUOTE_CHARS.sub(
        lambda m: _QUOTES[m.group()], unicodedata.normalize("NFKC", text).casefold()
    )
    return " ".join(text.split())  # str.split() and re's \s agree on what is a space


def content_hash(text: str) -> str:
    return hashlib.sha256(hash_key(text).encode("utf-8")).hexdigest()


def short_id(*parts: str) -> str:
    """A stable 20-hex-digit id (80 bits: no collision in any realistic warehouse)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]
