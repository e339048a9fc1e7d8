"""What a search box is expected to understand, read once: words (all must occur), phrases in
quotes (``"Black Sea"``), ``OR`` between two terms, and ``-word`` or ``-"a phrase"`` (must
not occur). The query becomes a condition over a document's folded text and the BM25 words
that find its candidates; the snippet shows where the first term occurs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.snippets import around, fold_keeping_offsets

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
SNIPPET_RADIUS = 80


@dataclass(frozen=True)
class Query:
    """``groups``: every group must match, by any one of its terms (``a OR b`` is one group of
    two); ``excluded``: terms that must not occur. Terms are folded to lower case, and a
    phrase's spaces to one."""

    groups: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...]

    @property
    def terms(self) -> list[str]:
        """The terms that must or may occur, in the order written."""
        return [t for group in self.groups for t in group]

    @property
    def words(self) -> str:
        """The terms' words for BM25, which finds the candidates that the condition filters."""
        return " ".join(self.terms)


def fold(text: str) -> str:
    """Lower case (as SQL's ``lower``, which the document is folded with) and single spaces."""
    return " ".join(text.lower().split())


def parse_query(text: str) -> Query:
    """``Kenya OR Chile "Black Sea" -Russia``: (Kenya or Chile) and "black sea", not russia.
    An unclosed quote runs to the end; a lone ``OR`` or ``-`` is ignored."""
    groups: list[list[str]] = []
    excluded: list[str] = []
    join_next = False
    for match in _TOKEN.finditer(text):
        negative, phrase, word = match.group(1), match.group(2), match.group(3)
        if word == "OR":
            join_next = bool(groups)
            continue
        if word is not None and word.startswith("-"):
            negative, word = "-", word[1:]
        term = fold(phrase if word is None else word)
        if not term:
            continue
        if negative:
            excluded.append(term)
        elif join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False
    return Query(tuple(tuple(g) for g in groups), tuple(excluded))


def condition(
    query: Query, document: str, stemmed: str | None = None, extra: str | None = None
) -> tuple[str, list[str]]:
    """A SQL condition and its parameters. A term occurs when ``document`` (an expression of
    folded text) contains it; or, for a word and given ``stemmed`` (a BM25 macro call with
    one ``?``), when the index holds the word as it stems it ("railways" finds "railway");
    or when ``extra`` (the copies' titles) contains it."""
    parts: list[str] = []
    params: list[str] = []

    def occurs(term: str) -> str:
        if stemmed is None or " " in term:  # a phrase is matched as written
            params.append(term)
            sql = f"contains({document}, ?)"
        else:
            params.append(term)
            sql = stemmed
        if extra is not None:
            params.append(term)
            sql = f"({sql} OR contains({extra}, ?))"
        return sql

    for group in query.groups:
        parts.append("(" + " OR ".join(occurs(t) for t in group) + ")")
    for term in query.excluded:
        parts.append(f"NOT {occurs(term)}")
    return " AND ".join(parts) or "true", params


def snippet(query: Query, *texts: str | None) -> str:
    """The first term's first occurrence in the first text that has one, with the words
    around it, cut at word boundaries: ``…the fleet left the Black Sea for…``."""
    for text in texts:
        if not text:
            continue
        flat = " ".join(text.split())
        folded = fold_keeping_offsets(flat)
        found = [(folded.find(t), t) for t in query.terms if folded.find(t) >= 0]
        if not found:
            continue
        at, term = min(found)
        return around(flat, at, at + len(term), SNIPPET_RADIUS)
    return ""
