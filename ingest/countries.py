"""Country mentions: which countries an article talks about (ISO 3166-1 alpha-2).

The definition is docs/COUNTRY-MENTIONS.md: names, abbreviations, demonyms and national bodies
count; cities, sub-national units, regions, seas, companies, media and people do not. The
gazetteer (ISO names, CLDR names in the feeds' languages, hand-kept alternates and demonyms) is
compiled once into an Aho-Corasick automaton; a search is one pass over the text plus a cheap
check per match.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import ahocorasick
import pycountry
from babel import Locale

from ingest import gazetteer_more
from ingest.country_context import (
    after_a_name,
    alone,
    bounded,
    is_language_use,
    is_person,
    is_proper_name,
)
from ingest.gazetteer import (
    ABBREVIATIONS,
    ALTERNATES,
    COMBINING_FORMS,
    CONTEXT_RULES,
    DEMONYMS,
    ELLIPTIC_EXPRESSIONS,
    GUARDED_NAMES,
    NOT_COUNTRIES,
)
from ingest.gazetteer_i18n import (
    adjectives,
    combining_forms,
    extra_names,
    language_names,
    people,
)
from ingest.kanji import kanji_abbreviations
from ingest.name_cases import inflect_name
from ingest.other_names import (
    PREFIX_ENDS,
    glued_prefix,
    in_body_name,
    in_other_name,
    in_quoted_title,
    in_region_name,
    is_us_place,
)
from ingest.snippets import around, casefold_keeping_offsets
from ingest.text_language import CAPITALIZING, KnownLanguages

# The languages whose names of countries (CLDR) and their case forms the gazetteer holds.
LANGUAGES = (
    *("en", "de", "fr", "es", "it", "pt", "pl", "nl", "ru", "uk"),
    *("fi", "sv", "da", "nb", "cs", "hu", "ro", "tr"),
)
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
SNIPPET_RADIUS = 60


NAME, ABBREV, DEMONYM, ADJECTIVE, BLOCK = "name", "abbrev", "demonym", "adjective", "block"
COMBINING = "combining"  # a form that counts only before a hyphen ("franco-allemand")


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


# (surface, ISO code or "" for a blocked phrase, kind, language or "" for every language)
Surface = tuple[str, str, str, str]


def _hand_kept(codes: set[str]) -> Iterator[Surface]:
    """Hand-kept alternates: they come first, and where a name is shared ("Congo") decide."""
    for code, names in ALTERNATES.items():
        for value in names:
            yield value, code, NAME, ""
            if value.startswith("the "):
                yield value[4:], code, NAME, ""


def _cldr(lang: str) -> Iterator[tuple[str, str]]:
    """CLDR's names of the territories in a language; of "Гонконг (САР)" or "Macao (RAE)",
    the name before the parenthesis."""
    for code, value in Locale(lang).territories.items():
        name = value.split(" (")[0]
        if "(" not in name:
            yield code, name


def _iso_names(codes: set[str]) -> Iterator[Surface]:
    """ISO 3166 names (pycountry), then each language's names of the territories (CLDR)."""
    for country in pycountry.countries:
        if country.alpha_2 not in codes:
            continue
        for attr in ("name", "common_name", "official_name"):
            iso_name = getattr(country, attr, None)
            if iso_name and "," not in iso_name and "(" not in iso_name:
                yield str(iso_name), country.alpha_2, NAME, ""
    for lang in LANGUAGES:
        for code, value in _cldr(lang):
            if code in codes and "," not in value and " - " not in value:
                yield value, code, NAME, "" if lang == "en" else lang


_ENGLISH_ONLY = frozenset({"Kiwi", "Finn"})


def _short_forms(codes: set[str]) -> Iterator[Surface]:
    """Abbreviations, and English demonyms with their plurals."""
    for code, names in ABBREVIATIONS.items():
        for value in names:
            yield value, code, ABBREV, ""
    # English demonyms count in every language ("bei den Australian Open", "Irish Whiskey"),
    # but for the few that are other languages' ordinary words: German "Kiwi" (the fruit,
    # capitalized like every noun) and "Finn" (a first name).
    for code, names in DEMONYMS.items():
        for value in names:
            forms = (
                [value] if value.endswith(("s", "ese", "ch", "sh", "men")) else [value, value + "s"]
            )
            for form in forms:
                yield form, code, DEMONYM, "en" if value in _ENGLISH_ONLY else ""


def _inflected(codes: set[str]) -> Iterator[Surface]:
    """Names as other languages decline them, and their extra names."""
    for lang in LANGUAGES:
        for code, value in _cldr(lang):
            if code in codes and "," not in value:
                for form in inflect_name(value, lang):
                    yield form, code, ADJECTIVE if form[:1].islower() else NAME, lang
    for value, code in extra_names():
        yield value, code, ADJECTIVE if value[:1].islower() else NAME, ""
    for value, code, lang in gazetteer_more.names():
        yield value, code, ADJECTIVE if value[:1].islower() else NAME, lang
        for form in inflect_name(value, lang) if " " not in value else ():
            yield form, code, NAME, lang
    # German names a war after its country in one word: "Ukrainekrieg", "Irakkriegs".
    for code, value in Locale("de").territories.items():
        if code in codes and " " not in value:
            for suffix in ("krieg", "kriegs", "-Krieg", "-Kriegs"):
                yield value + suffix, code, NAME, "de"


def _people_and_blocks(codes: set[str]) -> Iterator[Surface]:
    """Other languages' words for a country's people and adjectives, then the phrases that
    name no country ("New Mexico", language names)."""
    for value, code in people():
        yield value, code, DEMONYM, "de"
    for value, code, capitalized, lang in adjectives():
        yield value, code, DEMONYM if capitalized else ADJECTIVE, lang
    for value, code, lang in gazetteer_more.adjectives():
        yield value, code, DEMONYM if value[:1].isupper() else ADJECTIVE, lang
    for value, code, lang in gazetteer_more.peoples():
        yield value, code, ADJECTIVE, lang
    for code, forms in COMBINING_FORMS.items():
        for value in forms:
            yield value, code, COMBINING, ""
    for value, code, lang in (*combining_forms(), *gazetteer_more.combining_forms()):
        yield value, code, COMBINING, lang
    for value in NOT_COUNTRIES:
        yield value, "", BLOCK, ""
    for value in language_names():
        yield value, "", BLOCK, ""


def _surfaces() -> Iterable[Surface]:
    """(surface, code, kind, language) for every entry of the gazetteer, in the order that
    decides which country a shared surface means (the first one)."""
    codes = set(_iso_codes())
    sources = (_hand_kept, _iso_names, _short_forms, _inflected, _people_and_blocks)
    return itertools.chain.from_iterable(source(codes) for source in sources)


# A gazetteer entry as the automaton holds it: surface, code, kind, languages (None: all).
Entry = tuple[str, str, str, frozenset[str] | None]


# A token of capital letters and dots, as abbreviations are written ("US", "U.S.A.", "GER").
_CAPITALS = re.compile(r"[A-Z][A-Z.]{1,7}")  # boundaries are checked after: a regex's cost 3×


class CountryDetector:
    """Finds country mentions in text; build once (``default_detector()``) and reuse."""

    def __init__(self) -> None:
        # (surface, code, kind) -> the languages it is a country word in (None: all of them).
        langs: dict[str, dict[tuple[str, str, str], set[str] | None]] = {}
        for surface, code, kind, lang in _surfaces():
            bucket = langs.setdefault(casefold_keeping_offsets(surface), {})
            entry = (surface, code, kind)
            if entry not in bucket:
                bucket[entry] = {lang} if lang else None
            elif bucket[entry] is not None:
                if lang:
                    bucket[entry].add(lang)  # type: ignore[union-attr]
                else:
                    bucket[entry] = None
        automaton = ahocorasick.Automaton()
        # Abbreviations in capital letters ("US", "U.S.", "GER") are looked up by exact case
        # from the capitalized tokens of the text: in the case-folded automaton "us" and "den"
        # matched inside two words in three, each match a turn of the loop below.
        self._capitals: dict[str, tuple[Entry, ...]] = {}
        # Blocking phrases first, then exact-case abbreviations, then names.
        order = {BLOCK: 0, ABBREV: 1, NAME: 2, DEMONYM: 3, ADJECTIVE: 4, COMBINING: 5}
        for key, bucket in langs.items():
            entries: list[Entry] = [
                (surface, code, kind, None if ls is None else frozenset(ls))
                for (surface, code, kind), ls in bucket.items()
            ]
            entries.sort(key=lambda b: order[b[2]])
            if all(e[2] == ABBREV and _CAPITALS.fullmatch(e[0]) for e in entries):
                for one in entries:
                    self._capitals[one[0]] = (*self._capitals.get(one[0], ()), one)
                continue
            automaton.add_word(key, (len(key), tuple(entries)))
        automaton.make_automaton()
        self._automaton = automaton

    def _candidates(self, text: str, folded: str) -> list[tuple[int, int, tuple[Entry, ...]]]:
        """(start, end, entries) of every match that starts a word, in text order: the
        automaton's, and the capital-letter abbreviations that no longer match overlaps."""
        found = []
        for end_index, (length, bucket) in self._automaton.iter_long(folded):
            start = end_index - length + 1
            # Most matches lie inside a longer word: rejected here, before any call.
            previous = text[start - 1] if start else " "
            if previous.isalpha() and previous not in PREFIX_ENDS and text[start] < "\u3040":
                continue  # (CJK, from U+3040, has no spaces between words)
            found.append((start, end_index + 1, bucket))
        caps = []
        for m in _CAPITALS.finditer(text):
            token, at = m.group(0), m.start()
            entries = self._capitals.get(token) or self._capitals.get(token.rstrip("."))
            if entries is None or (at and (text[at - 1].isalnum() or text[at - 1] == ".")):
                continue
            end = at + len(entries[0][0])
            if end < len(text) and text[end].isalnum():
                continue
            i = bisect.bisect_left(found, at, key=lambda c: c[0])
            if (i and found[i - 1][1] > at) or (i < len(found) and found[i][0] < end):
                continue  # inside a longer name the automaton found ("U.S. Virgin Islands")
            caps.append((at, end, entries))
        return sorted(found + caps, key=lambda c: c[0]) if caps else found

    def find(self, text: str, languages: frozenset[str] | None = None) -> list[Hit]:
        """Every mention, in text order; never raises. ``languages``: those the text is in
        (guessed from it when not given); a word that is a country only in other languages
        is passed over."""
        known = KnownLanguages(text, languages, GUARDED_NAMES)
        folded = casefold_keeping_offsets(text)
        hits: list[Hit] = []
        for start, end, bucket in self._candidates(text, folded):
            if not bounded(text, start, end) and not (
                glued_prefix(text, start)
                and bounded(" " + text[start : end + 1], 1, end - start + 1)
            ):
                continue
            if in_region_name(text, start):
                continue
            surface = text[start:end]
            code = self._resolve(text, start, end, surface, bucket, known)
            if not code or is_person(text, start, end, surface, known.get(surface)):
                continue
            # Not in German, which capitalizes every noun ("die Regierung Frankreichs"), nor in
            # English, which writes "White House Russia adviser".
            if surface[:1].isupper() and after_a_name(text, start, end) and known.foreign_name():
                continue
            if surface[:1].isupper() and (
                in_other_name(text, start, end)
                or in_body_name(text, end)
                or is_us_place(text, end, surface)
                or (in_quoted_title(text, start, end) and known.english())
            ):
                continue
            hits.append(Hit(code, start, end))
        kanji = [Hit(code, a, b) for code, a, b in kanji_abbreviations(text, hits)]
        if kanji:
            hits = sorted(hits + kanji, key=lambda h: h.start)
        return _apply_context(text, hits)

    def _resolve(
        self,
        text: str,
        start: int,
        end: int,
        surface: str,
        bucket: tuple[Entry, ...],
        known: KnownLanguages,
    ) -> str | None:
        hyphen = text[end : end + 1] == "-"
        for entry_surface, code, kind, langs in bucket:
            if langs is not None and not known.allow(langs):
                continue
            if kind == COMBINING:
                if hyphen:  # before a hyphen a combining form wins ("russisch-ukrainisch")
                    return code
                continue
            if kind == BLOCK and not (hyphen and any(b[2] == COMBINING for b in bucket)):
                return None
            if kind == ABBREV:
                if surface == entry_surface:
                    return code
                continue
            # "the Netherlands": the name's own first letter decides, not the article's.
            first = surface[4:5] if surface[:4].casefold() == "the " else surface[:1]
            if kind != ADJECTIVE and first.islower():
                continue
            # German and French capitalize the nouns these words also are ("die Deutschen",
            # "les Français"); elsewhere a capital makes a lower-case adjective a name.
            capitalizing = langs is None or bool(langs & CAPITALIZING)
            if kind == ADJECTIVE and first.isupper() and not capitalizing:  # noqa: SIM102
                if is_proper_name(text, start, end):
                    return None
            if kind in (DEMONYM, ADJECTIVE) and is_language_use(text, start, end):
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
            snippet = around(text, first, first + 1, SNIPPET_RADIUS)
            result.append(CountryCount(code, country_name(code), counts[code], first, snippet))
        return sorted(result, key=lambda c: (-c.mentions, c.code))


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
            if h.code == code and text[h.start : h.end].casefold() in forms and alone(text, h.end)
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


@functools.lru_cache(maxsize=1)
def default_detector() -> CountryDetector:
    return CountryDetector()


def detect_countries(text: str) -> list[CountryCount]:
    """Country mentions of one text, with the shared detector."""
    return default_detector().detect(text)
