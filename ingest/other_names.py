"""Whether a country's word stands inside another name: an organisation ("Turkish Airlines",
"Banco do Brasil", "American Civil Liberties Union"), a region or a town named after the
country ("Süd-Ukraine", "Inner Mongolia", "the state of Georgia", "Lebanon, Pa."), or a
title in quotes (“China Grove”). Pure functions of the text and the match's offsets, as in
``country_context``.
"""

from __future__ import annotations

import re

from ingest.country_context import WORD
from ingest.gazetteer import COMPASS_PREFIXES

# Glued prefixes that keep the country's adjective: "proiranischen", "antiamerikanisch",
# "prorosyjskich", "проросійських". (Hyphenated forms are word boundaries already.)
_GLUED_PREFIXES = frozenset({"pro", "anti", "anty", "про", "анти", "proti", "pró", "ellen"})


# The last letters of those prefixes, in both cases: a match after any other letter is inside
# a word (the detector's first, cheapest test).
PREFIX_ENDS = frozenset(c for p in _GLUED_PREFIXES for c in (p[-1], p[-1].upper()))


def glued_prefix(text: str, start: int) -> bool:
    """The match starts inside a word after a prefix that keeps its sense ("proiranischen")."""
    if text[start - 1 : start] not in PREFIX_ENDS:  # the common case, cheaply
        return False
    word = _WORD_BEFORE.search(text, max(0, start - 6), start)
    return (
        word is not None
        and word.group(0).casefold() in _GLUED_PREFIXES
        and (word.start() == 0 or not text[word.start() - 1].isalpha())
    )


def in_region_name(text: str, start: int) -> bool:
    """The country is the second half of a region's name: "Süd-Ukraine", "Pohjois-Suomi",
    "Nord-Norge" (COUNTRY-MENTIONS.md: regions inside a country do not count). Names such as
    "Nord-Korea" or "Etelä-Korea" are gazetteer entries of their own and match whole."""
    if start < 3 or text[start - 1] not in "-‐":
        return False
    word = _WORD_BEFORE.search(text, max(0, start - 12), start - 1)
    return word is not None and word.group(0).casefold() in COMPASS_PREFIXES


_WORD_BEFORE = re.compile(r"[^\W\d_]+$")


# Words that make the country's word part of an organisation's name when they follow it
# ("Turkish Airlines", "Magyar Telekom", "Norsk Hydro", "USA Today", "Česká spořitelna",
# "Svenska Dagbladet", "Guadalupe FC"), folded; and those that do when they precede it
# ("Air France", "Bank Polski", "авиакомпании «Россия»").
ORGANISATION_AFTER = frozenset(
    {
        *("airlines", "airways", "air", "shuttle", "bank", "banken", "times", "post", "herald"),
        *("tribune", "gazette", "journal", "express", "today", "motors", "telecom", "telekom"),
        *("hydro", "petroleum", "steel", "apparel", "eagle", "idol", "inc", "inc.", "ltd"),
        *("corp", "corp.", "corporation", "group", "holdings", "conference", "fc", "cf", "sc"),
        *("ac", "club", "hotel", "hospital", "restaurant", "kitchen", "bakery", "café", "cafe"),
        *("dagbladet", "dagblad", "tidning", "avis", "zeitung", "hava", "posta", "railways"),
        *("broadcasting", "airline", "cargo", "daily", "records", "pictures", "nation"),
        *("university", "college", "institute", "school", "presse", "press"),
    }
)
# Organisation nouns that these languages write in lower case within a name.
_LOWER_CASE_ORGANISATION = frozenset({"spořitelna", "pojišťovna", "banka", "bankası"})
ORGANISATION_BEFORE = frozenset(
    {
        *("air", "bank", "banco", "banca", "aerolíneas", "авиакомпании", "авиакомпания"),
        *("авіакомпанії", "авіакомпанія", "radio", "flyselskabet", "flygbolaget"),
        *("flyselskapet", "lentoyhtiö", "légitársaság", "авіалінії", "авиалинии", "agence"),
    }
)
# Words after the country's word that keep it the country even in a capitalized run ("Korean
# Air Force", "Israel Defense Forces").
_NATIONAL_AFTER = frozenset({"force", "forces", "navy", "army", "guard"})
# Words before a place's name that make it a state or region ("the state of Georgia",
# "im US-Bundesstaat Georgia", "delstaten Georgia", "regiunea istorică Moldova").
_REGION_BEFORE = frozenset(
    {
        *("state", "bundesstaat", "us-bundesstaat", "us-bundesstaats", "delstaten", "delstat"),
        *("staten", "osavaltiossa", "région", "region", "regionen", "regiunea", "regiune"),
        *("provincia", "province", "oblast", "obwód", "estado", "stato", "штат", "штате"),
        *("штаті", "штату", "stanie", "inner", "upper", "lower", "outer"),
        # a "new" place named after an old one: New Mexico, Nuevo México, New England
        *("new", "nuevo", "nueva", "nouveau", "nouvelle", "neu", "nova", "novo", "nuovo"),
        *("nuova", "nowy", "nowa", "nya", "nye", "uusi"),
        *("dolní", "horní", "dzielnica", "dzielnicy", "district", "quartier", "barrio"),
        *("bairro", "statul", "statului", "нова", "новій", "нової", "новая", "новой"),
        *("новую", "нову"),
    }
)
# Between a region's noun and its name: "state of Georgia", "regiunea istorică Moldova".
_REGION_LINKS = frozenset({"of", "de", "di", "du", "del", "da", "din", "istorică", "historical"})
# Region nouns that take an adjective before the name ("statul american Georgia").
_REGION_WITH_ADJECTIVE = frozenset({"statul", "statului", "delstaten", "estado", "stato"})
# Region nouns written after the name, with their case endings ("Georgian osavaltiossa",
# "Georgia eyaletinde", "Pest megyében"), as stems.
_IN_A_STATE = (
    *(" in the state of", " i delstaten", " im us-bundesstaat", " im bundesstaat"),
    *(" dans l'état", " en el estado", " no estado", " nello stato", " w stanie", " ve státě"),
    # "Georgia i USA", "Georgia (USA)": a place of the United States
    *(" i usa", " in the us", " in den usa", " in the u.s.", " (usa)", " (us)", ", usa"),
    *(" aux états-unis", " en estados unidos", " w usa", " v usa", " negli stati uniti"),
    *("-город", "-city"),
)
_REGION_AFTER_STEMS = ("osavaltio", "eyalet", "megye", "vármegye", "oblast", "область")
# Words after a country's name that make it a place inside a country ("Lebanon County",
# "Kuwait City"), capitalized.
_PLACE_AFTER = frozenset({"county", "township", "parish", "city", "borough", "governorate"})
# US states as the news writes them after a town ("Lebanon, Pa.", "Peru, Indiana"): a country's
# name before one is a town of that state.
_US_STATES = frozenset(
    {
        *("Alabama", "Ala.", "Alaska", "Arizona", "Ariz.", "Arkansas", "Ark.", "California"),
        *("Calif.", "Colorado", "Colo.", "Connecticut", "Conn.", "Delaware", "Del.", "Florida"),
        *("Fla.", "Georgia", "Ga.", "Hawaii", "Idaho", "Illinois", "Ill.", "Indiana", "Ind."),
        *("Iowa", "Kansas", "Kan.", "Kentucky", "Ky.", "Louisiana", "La.", "Maine", "Maryland"),
        *("Md.", "Massachusetts", "Mass.", "Michigan", "Mich.", "Minnesota", "Minn."),
        *("Mississippi", "Miss.", "Missouri", "Mo.", "Montana", "Mont.", "Nebraska", "Neb."),
        *("Nevada", "Nev.", "New Hampshire", "N.H.", "New Jersey", "N.J.", "New Mexico", "N.M."),
        *("New York", "N.Y.", "North Carolina", "N.C.", "North Dakota", "N.D.", "Ohio"),
        *("Oklahoma", "Okla.", "Oregon", "Ore.", "Pennsylvania", "Pa.", "Rhode Island", "R.I."),
        *("South Carolina", "S.C.", "South Dakota", "S.D.", "Tennessee", "Tenn.", "Texas"),
        *("Utah", "Vermont", "Vt.", "Virginia", "Va.", "Washington", "Wash.", "West Virginia"),
        *("W.Va.", "Wisconsin", "Wis.", "Wyoming", "Wyo."),
    }
)


# Countries whose names are also names of US towns and a state (Georgia): only these are read
# as a place of the United States from what follows them ("Lebanon, Pa.", "Georgia i USA"),
# never "Russia, Georgia and Armenia".
US_TOWN_NAMES = frozenset(
    {
        *("Georgia", "Lebanon", "Peru", "Mexico", "Jordan", "Cuba", "Panama", "Poland"),
        *("Norway", "Sweden", "Denmark", "China", "Chile", "Jamaica", "Belgium", "Canada"),
        *("Moldova", "Nigeria", "Malta", "Cyprus", "Madagascar", "Holland", "Ireland"),
    }
)


def is_us_place(text: str, end: int, surface: str = "") -> bool:
    """A county or a city named like a country ("Lebanon County", "Mexico City"); or, for a
    name US towns share, a town of a US state ("Lebanon, Pa.", "Peru, Indiana",
    "Norway i delstaten Maine", "Georgia i USA")."""
    if text[end : end + 1] not in (" ", ",", "-"):
        return False
    after = WORD.match(text, end + 1) if text[end : end + 1] == " " else None
    word = after.group(0) if after is not None else ""
    if word[:1].isupper() and word.casefold().rstrip(".,") in _PLACE_AFTER:
        return True
    if word.casefold().startswith(_REGION_AFTER_STEMS):
        return True
    if surface not in US_TOWN_NAMES:
        return False
    rest = text[end : end + 40].casefold()
    for prefix in _IN_A_STATE:
        if rest.startswith(prefix) and not rest[len(prefix) : len(prefix) + 1].isalpha():
            return True  # "Norway i delstaten Maine", "Georgia i USA"
    if text[end : end + 2] != ", ":
        return False
    state = _STATE_AFTER.match(text, end + 2)
    if state is None:
        return False
    name = state.group(1)
    follows = text[state.end() : state.end() + 1]
    return (name in _US_STATES or name.rstrip(".") in _US_STATES) and (
        name.endswith(".") or not follows or follows in ",.;:)\n"
    )


_STATE_AFTER = re.compile(r"((?:[A-Z][a-z]*\.?(?: |(?=[A-Z]\.)))?[A-Z][A-Za-z]*\.?)(?![a-z])")


_QUOTES = {"“": "”", "„": "“", "«": "»", '"': '"', "‘": "’", "‚": "‘"}


# Nouns that end the name of an association, a charity, a museum or a church: a title-case run
# from the country's word to one of them is that body's name ("American Civil Liberties
# Union", "American Israel Public Affairs Committee", "Irish Cancer Society").
_BODY_NOUNS = frozenset(
    {
        *("union", "committee", "association", "society", "foundation", "institute", "league"),
        *("academy", "museum", "church", "fund", "council", "party", "alliance", "center"),
        *("centre", "trust", "corporation", "company", "network", "review", "magazine"),
    }
)
# Words that make such a run a state's own body, which the definition counts.
_STATE_RUN = frozenset(
    {"national", "federal", "government", "army", "navy", "air", "ministry", "embassy"}
    | {"parliament", "senate", "congress", "police", "team", "federation", "security"}
    # a sport's national body is the country's ("United States Tennis Association")
    | {"tennis", "football", "soccer", "rugby", "cricket", "olympic", "athletics", "hockey"}
    | {"basketball", "golf", "swimming", "ski", "cycling", "chess", "sports", "boxing"}
)


def in_body_name(text: str, end: int) -> bool:
    """The country's word opens the title-case name of an association, a charity, a museum
    or a party: up to five capitalized words (small words between allowed) end in a body
    noun, and none of them makes it a state's own body."""
    if text[end : end + 1] != " " or not text[end + 1 : end + 2].isupper():
        return False  # no capitalized word follows: the common case
    words = text[end : end + 90].split()
    run = 0
    for word in words[:8]:
        bare = word.strip(".,;:’'\"()").casefold()
        if bare in ("of", "for", "and", "the", "on", "in"):
            continue
        if not word[:1].isupper() or bare in _STATE_RUN:
            return False
        run += 1
        if bare.removesuffix("’s").removesuffix("'s") in _BODY_NOUNS:
            return run >= 2
        if run >= 5 or word.endswith((",", ".", ";", ":")):
            return False
    return False


def in_other_name(text: str, start: int, end: int) -> bool:
    """The country's word is part of another name: an organisation ("Turkish Airlines", "Air
    France", "Magyar Telekom") or a region ("the state of Georgia", "Inner Mongolia")."""
    after = WORD.match(text, end + 1) if text[end : end + 1] in (" ", "-") else None
    if after is not None:
        word = after.group(0).rstrip(".,")
        folded = word.casefold()
        named = word[:1].isupper() and folded in ORGANISATION_AFTER
        if named or folded in _LOWER_CASE_ORGANISATION:
            following = WORD.match(text, after.end() + 1)
            return (following.group(0).casefold() if following else "") not in _NATIONAL_AFTER
    before = text[max(0, start - 40) : start].rstrip("«»“”„\"' ").split()
    if before:
        last = before[-1].casefold()
        if last in ORGANISATION_BEFORE or last in _REGION_BEFORE:
            return True
        if len(before) > 1:
            previous = before[-2].casefold()
            if last in _REGION_LINKS and previous in _REGION_BEFORE:
                return True  # "the state of Georgia"
            if last in _ORGANISATION_LINKS and previous in ORGANISATION_BEFORE:
                return True  # "Banco do Brasil", "Bank of America"
            if previous in _REGION_WITH_ADJECTIVE and last[:1].islower():
                return True  # "statul american Georgia"
    return False


# Between an organisation's noun and the country's name: "Banco do Brasil", "Bank of America".
_ORGANISATION_LINKS = frozenset({"of", "do", "da", "de", "di", "del", "du"})


def in_quoted_title(text: str, start: int, end: int) -> bool:
    """Inside quotation marks that hold a title: two to eight words, every long one
    capitalized (“China Grove”, “Made in America”). Only English tells a title so: German
    capitalizes every noun („Bundesrepublik Deutschland“ is no title)."""
    lo = max(0, start - 60)
    opening = max(text.rfind(q, lo, start) for q in _QUOTES)
    if opening < 0 or "\n" in text[opening:start]:
        return False
    closing = text.find(_QUOTES[text[opening]], end, end + 60)
    if closing < 0 or "\n" in text[end:closing]:
        return False
    words = text[opening + 1 : closing].split()
    if len(words) == 1:
        return False
    long_words = [w for w in words if len(w) > 3]
    return 2 <= len(words) <= 8 and all(w[:1].isupper() for w in long_words)
