"""Country mentions: which countries an article talks about (ISO 3166-1 alpha-2).

The definition is docs/COUNTRY-MENTIONS.md: names, abbreviations, demonyms and national bodies
count; cities, sub-national units, regions, seas, companies, media and people do not. The
gazetteer (ISO names, CLDR names in the feeds' languages, hand-kept alternates and demonyms) is
compiled once into an Aho-Corasick automaton; a search is one pass over the text plus a cheap
check per match.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick
import pycountry
from babel import Locale

from ingest.gazetteer import ABBREVIATIONS, ALTERNATES, DEMONYMS, NOT_COUNTRIES

LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "pl", "nl", "ru", "uk")
# Not labelled by the definition: Antarctica, and user-assigned or exceptional codes.
EXCLUDED_CODES = frozenset({"AQ", "XK", "EU", "UN", "EZ", "QO", "ZZ"})
DISPLAY_NAMES = {
    "CD": "DR Congo",
    "CG": "Congo",
    "PS": "Palestine",
    "FM": "Micronesia",
    "VA": "Vatican City",
    "VG": "British Virgin Islands",
    "VI": "U.S. Virgin Islands",
    "FK": "Falkland Islands",
    "BQ": "Caribbean Netherlands",
    "SX": "Sint Maarten",
    "MF": "Saint Martin",
    "CC": "Cocos Islands",
    "SH": "Saint Helena",
    "RU": "Russia",
    "US": "United States",
    "GB": "United Kingdom",
}
# Words that name a language when they follow these and end a phrase ("in Spanish.").
_LANGUAGE_CUES = frozenset(
    {
        "in",
        "into",
        "speak",
        "speaks",
        "spoke",
        "speaking",
        "learn",
        "learning",
        "learned",
        "fluent",
        "translated",
        "translate",
        "native",
        "taught",
        "dubbed",
        "subtitled",
    }
)
_PHRASE_END = frozenset({"and", "or", "as", "with", "by", "to", "on", "at", "for", "from", "but"})
SNIPPET_RADIUS = 60
_WORD = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)

NAME, ABBREV, DEMONYM, BLOCK = "name", "abbrev", "demonym", "block"


@dataclass(frozen=True)
class Hit:
    code: str
    start: int
    end: int


@dataclass(frozen=True)
class CountryCount:
    code: str
    name: str
    mentions: int
    first_offset: int
    snippet: str


def country_name(code: str) -> str:
    if code in DISPLAY_NAMES:
        return DISPLAY_NAMES[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def _iso_codes() -> list[str]:
    return [c.alpha_2 for c in pycountry.countries if c.alpha_2 not in EXCLUDED_CODES]


def _surfaces() -> Iterable[tuple[str, str, str]]:
    """(surface, code, kind) for every entry of the gazetteer."""
    codes = set(_iso_codes())
    # Hand-kept alternates come first: where a name is shared ("Congo"), they decide.
    for code, names in ALTERNATES.items():
        for value in names:
            yield value, code, NAME
            if value.startswith("the "):
                yield value[4:], code, NAME
    for country in pycountry.countries:
        code = country.alpha_2
        if code not in codes:
            continue
        for attr in ("name", "common_name", "official_name"):
            iso_name = getattr(country, attr, None)
            if iso_name and "," not in iso_name and "(" not in iso_name:
                yield str(iso_name), code, NAME
    for lang in LANGUAGES:
        for code, value in Locale(lang).territories.items():
            if code in codes and "," not in value and "(" not in value and " - " not in value:
                yield value, code, NAME
    for code, names in ABBREVIATIONS.items():
        for value in names:
            yield value, code, ABBREV
    for code, names in DEMONYMS.items():
        for value in names:
            yield value, code, DEMONYM
            if not value.endswith(("s", "ese", "ch", "sh", "i", "men")):
                yield value + "s", code, DEMONYM
    for value in NOT_COUNTRIES:
        yield value, "", BLOCK


class CountryDetector:
    """Finds country mentions in text; build once (``default_detector()``) and reuse."""

    def __init__(self) -> None:
        entries: dict[str, list[tuple[str, str, str]]] = {}
        for surface, code, kind in _surfaces():
            key = surface.casefold()
            bucket = entries.setdefault(key, [])
            if (surface, code, kind) not in bucket:
                bucket.append((surface, code, kind))
        automaton = ahocorasick.Automaton()
        for key, bucket in entries.items():
            # Blocking phrases first, then exact-case abbreviations, then names.
            order = {BLOCK: 0, ABBREV: 1, NAME: 2, DEMONYM: 3}
            automaton.add_word(key, (len(key), tuple(sorted(bucket, key=lambda b: order[b[2]]))))
        automaton.make_automaton()
        self._automaton = automaton

    def find(self, text: str) -> list[Hit]:
        """Every mention, in text order; never raises."""
        folded = text.casefold()
        if len(folded) != len(text):  # casefold changed lengths (ß → ss): match on lower()
            folded = text.lower()
            if len(folded) != len(text):
                folded = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
        hits: list[Hit] = []
        for end_index, (length, bucket) in self._automaton.iter_long(folded):
            start, end = end_index - length + 1, end_index + 1
            if not _bounded(text, start, end):
                continue
            surface = text[start:end]
            code = self._resolve(text, start, end, surface, bucket)
            if code:
                hits.append(Hit(code, start, end))
        return hits

    def _resolve(
        self,
        text: str,
        start: int,
        end: int,
        surface: str,
        bucket: tuple[tuple[str, str, str], ...],
    ) -> str | None:
        for entry_surface, code, kind in bucket:
            if kind == BLOCK:
                return None
            if kind == ABBREV:
                if surface == entry_surface:
                    return code
                continue
            if not surface[:1].isupper():
                continue
            if kind == DEMONYM and _is_language_use(text, start, end):
                return None
            return code
        return None

    def detect(self, text: str) -> list[CountryCount]:
        """Countries with their mention counts, the first mention's offset and a snippet."""
        firsts: dict[str, int] = {}
        counts: dict[str, int] = {}
        for hit in self.find(text):
            counts[hit.code] = counts.get(hit.code, 0) + 1
            firsts.setdefault(hit.code, hit.start)
        result = []
        for code, first in firsts.items():
            lo, hi = max(0, first - SNIPPET_RADIUS), min(len(text), first + SNIPPET_RADIUS)
            snippet = " ".join(text[lo:hi].split())
            result.append(CountryCount(code, country_name(code), counts[code], first, snippet))
        return sorted(result, key=lambda c: (-c.mentions, c.code))


def _bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before.isalpha() or (after.isalpha() and not (after.isupper() and text[end - 1].islower())):
        return False
    return not (before == "-" and start > 1 and text[start - 2].isalpha() and text[start].islower())


def _is_language_use(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 20) : start].split()
    if not before or before[-1].casefold() not in _LANGUAGE_CUES:
        return False
    following = _WORD.match(text[end:].lstrip(" "))
    rest = text[end:].lstrip(" ")
    if not rest or not rest[0].isalpha():
        return True
    return following is not None and following.group(0).casefold() in _PHRASE_END


@functools.lru_cache(maxsize=1)
def default_detector() -> CountryDetector:
    return CountryDetector()


def detect_countries(text: str) -> list[CountryCount]:
    """Country mentions of one text, with the shared detector."""
    return default_detector().detect(text)
