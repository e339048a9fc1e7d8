"""Country mentions: which countries an article talks about (ISO 3166-1 alpha-2).

The definition is docs/COUNTRY-MENTIONS.md: names, abbreviations, demonyms and national bodies
count; cities, sub-national units, regions, seas, companies, media and people do not. The
gazetteer (ISO names, CLDR names in the feeds' languages, hand-kept alternates and demonyms) is
compiled once into an Aho-Corasick automaton; a search is one pass over the text plus a cheap
check per match.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import ahocorasick
import pycountry
from babel import Locale

from ingest.gazetteer import (
    ABBREVIATIONS,
    ALTERNATES,
    CONTEXT_RULES,
    DEMONYMS,
    ELLIPTIC_EXPRESSIONS,
    GUARDED_NAMES,
    NOT_COUNTRIES,
    PERSON_NAMES,
    STATE_WORDS,
)
from ingest.gazetteer_i18n import adjectives, extra_names, language_names, people
from ingest.name_cases import inflect_name

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
        "en",
        "auf",
        "ins",
        "im",
        "po",
        "na",
        "на",
        "по",
        "em",
        "lingua",
        "langue",
        "idioma",
        "dem",
        "aus",
        "from",
        "vom",
    }
)
_PHRASE_END = frozenset({"and", "or", "as", "with", "by", "to", "on", "at", "for", "from", "but"})
SNIPPET_RADIUS = 60
_WORD = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)

NAME, ABBREV, DEMONYM, ADJECTIVE, BLOCK = "name", "abbrev", "demonym", "adjective", "block"


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


Surface = tuple[str, str, str]  # (surface, ISO code or "" for a blocked phrase, kind)


def _hand_kept(codes: set[str]) -> Iterator[Surface]:
    """Hand-kept alternates: they come first, and where a name is shared ("Congo") decide."""
    for code, names in ALTERNATES.items():
        for value in names:
            yield value, code, NAME
            if value.startswith("the "):
                yield value[4:], code, NAME


def _iso_names(codes: set[str]) -> Iterator[Surface]:
    """ISO 3166 names (pycountry), then each language's names of the territories (CLDR)."""
    for country in pycountry.countries:
        if country.alpha_2 not in codes:
            continue
        for attr in ("name", "common_name", "official_name"):
            iso_name = getattr(country, attr, None)
            if iso_name and "," not in iso_name and "(" not in iso_name:
                yield str(iso_name), country.alpha_2, NAME
    for lang in LANGUAGES:
        for code, value in Locale(lang).territories.items():
            if code in codes and "," not in value and "(" not in value and " - " not in value:
                yield value, code, NAME


def _short_forms(codes: set[str]) -> Iterator[Surface]:
    """Abbreviations, and English demonyms with their plurals."""
    for code, names in ABBREVIATIONS.items():
        for value in names:
            yield value, code, ABBREV
    for code, names in DEMONYMS.items():
        for value in names:
            yield value, code, DEMONYM
            if not value.endswith(("s", "ese", "ch", "sh", "men")):
                yield value + "s", code, DEMONYM


def _inflected(codes: set[str]) -> Iterator[Surface]:
    """Names as other languages decline them, and their extra names."""
    for lang in LANGUAGES:
        for code, value in Locale(lang).territories.items():
            if code in codes:
                for form in inflect_name(value, lang):
                    yield form, code, NAME
    for value, code in extra_names():
        yield value, code, ADJECTIVE if value[:1].islower() else NAME
    # German names a war after its country in one word: "Ukrainekrieg", "Irakkriegs".
    for code, value in Locale("de").territories.items():
        if code in codes and " " not in value:
            for suffix in ("krieg", "kriegs", "-Krieg", "-Kriegs"):
                yield value + suffix, code, NAME


def _people_and_blocks(codes: set[str]) -> Iterator[Surface]:
    """Other languages' words for a country's people and adjectives, then the phrases that
    name no country ("New Mexico", language names)."""
    for value, code in people():
        yield value, code, DEMONYM
    for value, code, capitalized in adjectives():
        yield value, code, DEMONYM if capitalized else ADJECTIVE
    for value in NOT_COUNTRIES:
        yield value, "", BLOCK
    for value in language_names():
        yield value, "", BLOCK


def _surfaces() -> Iterable[Surface]:
    """(surface, code, kind) for every entry of the gazetteer, in the order that decides which
    country a shared surface means (the first one)."""
    codes = set(_iso_codes())
    sources = (_hand_kept, _iso_names, _short_forms, _inflected, _people_and_blocks)
    return itertools.chain.from_iterable(source(codes) for source in sources)


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
            order = {BLOCK: 0, ABBREV: 1, NAME: 2, DEMONYM: 3, ADJECTIVE: 4}
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
            if code and not _is_person(text, start, end, surface):
                hits.append(Hit(code, start, end))
        kanji = _kanji_abbreviations(text, hits)
        if kanji:
            hits = sorted(hits + kanji, key=lambda h: h.start)
        return _apply_context(text, hits)

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
            if kind != ADJECTIVE and surface[:1].islower():
                continue
            if kind in (DEMONYM, ADJECTIVE) and _is_language_use(text, start, end):
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


def _is_person(text: str, start: int, end: int, surface: str) -> bool:
    """A name that is also a first name next to another name: "Chad Smith", "Louis Jordan"."""
    if surface in GUARDED_NAMES:
        guard = text[max(0, start - 12) : start].split()
        return not guard or guard[-1] not in GUARDED_NAMES[surface]
    if surface not in PERSON_NAMES:
        return False
    before = text[max(0, start - 30) : start]
    if before.endswith(" ") and not before.rstrip().endswith((".", ":", "!", "?", "\n")):
        words = before.split()
        previous = words[-1] if words else ""
        if previous.isalpha() and previous[:1].isupper() and previous not in STATE_WORDS:
            return True
    if text[end : end + 1] != " ":
        return False
    following = _WORD.match(text, end + 1)
    if following is None:
        return False
    word = following.group(0).rstrip(".'’")
    if word in ("FC", "CF", "SC", "AC", "CD"):
        return True
    return word[:1].isupper() and not word.isupper() and word not in STATE_WORDS


def _apply_context(text: str, hits: list[Hit]) -> list[Hit]:
    """Re-read ambiguous names and lone adjectives from the whole document's context
    (Georgia, Congo, Korea; "Francuskie, filo czy kruche?" about dough)."""
    for code, name, other_clues, own_clues, other_code in CONTEXT_RULES:
        if not any(h.code == code and text[h.start : h.end] == name for h in hits):
            continue
        if any(c in text for c in other_clues) and not any(c in text for c in own_clues):
            hits = [
                Hit(other_code, h.start, h.end)
                if h.code == code and text[h.start : h.end] == name
                else h
                for h in hits
            ]
            hits = [h for h in hits if h.code]
    for code, forms, nouns in ELLIPTIC_EXPRESSIONS:
        elliptic = [
            h
            for h in hits
            if h.code == code and text[h.start : h.end].casefold() in forms and _alone(text, h.end)
        ]
        if not elliptic:
            continue
        folded = text.casefold()
        named_elsewhere = any(
            h.code == code and text[h.start : h.end].casefold() not in forms for h in hits
        )
        if any(n in folded for n in nouns) and not named_elsewhere:
            hits = [h for h in hits if h not in elliptic]
    return hits


# Japanese news abbreviates countries to one kanji, but only in pairs ("米朝首脳会談": US and
# North Korea summit) or before a few nouns ("米大統領": the US president); alone the kanji are
# ordinary words (米 rice, 朝 morning), and 日/中 are left out (日中 is also "daytime").
_KANJI = {"米": "US", "韓": "KR", "朝": "KP", "露": "RU", "英": "GB", "仏": "FR", "独": "DE"}
_KANJI_PAIR_SECOND = {**_KANJI, "中": "CN"}
_KANJI_NOUNS = ("大統領", "政府", "国務長官", "首相", "軍")
_KANJI_RUN = re.compile(
    f"[{''.join(_KANJI)}][{''.join(_KANJI_PAIR_SECOND)}]+|[{''.join(_KANJI)}](?={'|'.join(_KANJI_NOUNS)})"
)


def _kanji_abbreviations(text: str, hits: list[Hit]) -> list[Hit]:
    taken = [(h.start, h.end) for h in hits]
    found = []
    for match in _KANJI_RUN.finditer(text):
        for i in range(match.start(), match.end()):
            if not any(a <= i < b for a, b in taken):
                found.append(Hit(_KANJI_PAIR_SECOND[text[i]], i, i + 1))
    return found


_ALONE_AFTER = frozenset({"czy", "i", "lub", "albo", "oraz"})


def _alone(text: str, end: int) -> bool:
    """No noun follows the adjective: punctuation or a conjunction comes next."""
    rest = text[end : end + 12].lstrip(" ")
    if not rest or rest[0] in ",;:?!.)":
        return True
    word = rest.split(maxsplit=1)[0].casefold()
    return word in _ALONE_AFTER


def _cjk(ch: str) -> bool:
    return "\u3040" <= ch <= "\u9fff"


def _bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if _cjk(text[start]):
        return True
    glued = after.isupper() and text[end - 1].islower()  # "PortugalABEE": extraction glue
    return not (before.isalpha() or (after.isalpha() and not glued))


_LIST_WORDS = frozenset({"both", "either", "and", "or", "und", "oder", "et", "y", "e", "i"})
_LANGUAGE_NOUNS = frozenset(
    {
        "sprache",
        "language",
        "langue",
        "lengua",
        "idioma",
        "lingua",
        "języku",
        "język",
        "языке",
        "язык",
        "mowie",
        "übersetzung",
    }
)


def _is_language_use(text: str, start: int, end: int) -> bool:
    """A language name, not a country: "in Spanish.", "auf Deutsch und", "in deutscher Sprache".

    The cue may stand a few words back in a list ("In both Spanish and Portuguese").
    """
    before = text[max(0, start - 60) : start].split()
    cue = False
    for word in reversed(before[-4:]):
        low = word.casefold().strip(",")
        if low in _LANGUAGE_CUES:
            cue = True
            break
        if low not in _LIST_WORDS and not word[:1].isupper():
            break
    if not cue:
        return False
    rest = text[end:].lstrip(" ")
    if not rest or not rest[0].isalpha():
        return True
    following = _WORD.match(rest)
    if following is None:
        return True
    word = following.group(0).casefold()
    return (
        word in _PHRASE_END
        or word in _LIST_WORDS
        or word in _LANGUAGE_NOUNS
        or word in ("zu", "übersetzt", "übersetzen", "fluently", "verfügbar", "available")
    )


@functools.lru_cache(maxsize=1)
def default_detector() -> CountryDetector:
    return CountryDetector()


def detect_countries(text: str) -> list[CountryCount]:
    """Country mentions of one text, with the shared detector."""
    return default_detector().detect(text)
