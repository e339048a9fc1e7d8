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
