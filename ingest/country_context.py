"""Whether a word that matched the gazetteer means the country where it stands.

The gazetteer finds every surface that can name a country; these rules read the words around
it and reject what the definition (COUNTRY-MENTIONS.md) excludes: a language ("auf Deutsch",
"på svenska", "українською мовою"), a person ("Chad Smith"), a region named after the
country ("Süd-Ukraine", "Inner Mongolia", "the state of Georgia"), or the name of something
else that contains the country's word (an airline, a bank, a newspaper, a club, a title in
quotes). Each rule is a pure function of the text and the match's offsets.
"""

from __future__ import annotations

import re

from ingest.gazetteer import COMPASS_PREFIXES, GUARDED_NAMES, PERSON_NAMES, STATE_WORDS

# Words after which a language's name follows when the phrase ends there ("in Spanish.",
# "auf Deutsch und", "på svenska,", "till finska."), in the languages the gazetteer covers.
_LANGUAGE_CUES = frozenset(
    {
        *("in", "into", "speak", "speaks", "spoke", "speaking", "learn", "learning", "learned"),
        *("fluent", "fluently", "translated", "translate", "native", "taught", "dubbed"),
        *("subtitled", "from", "en", "auf", "ins", "im", "dem", "aus", "vom", "po", "na", "на"),
        *("по", "em", "lingua", "langue", "idioma", "på", "till", "til", "talar", "taler"),
        *("snakker", "flytande", "flydende", "flytende", "limba", "limbii", "sujuvasti"),
        *("puhuu", "folyékonyan", "plynně", "mluví", "mówi", "говорит", "розмовляє"),
        *("parla", "parlano", "parlare", "correntemente", "fluentemente", "habla", "hablan"),
        *("hablar", "parle", "parlent", "parler", "couramment", "fala", "falam", "falar"),
        *("fluentemente", "spricht", "sprechen", "fließend", "mówić", "mówią", "płynnie"),
        *("говорить", "говорят", "свободно", "вільно", "konuşuyor", "konuşan", "akıcı"),
        *("beszél", "beszélnek", "vorbește", "vorbesc", "fluent", "mluvit", "puhua"),
        *("puhuvat", "snakke", "tala", "talte", "talade", "învață", "învăța", "studiază"),
        *("learns", "studies", "lernt", "lernen", "aprende", "impara", "apprend", "uczy"),
        *("изучает", "вивчає", "öğreniyor", "opiskelee", "lär", "lærer", "studuje", "tanul"),
    }
)
_PHRASE_END = frozenset(
    {"and", "or", "as", "with", "by", "to", "on", "at", "for", "from", "but", "men", "och"}
    | {"og", "und", "et", "y", "e", "și", "ja", "és", "ve", "и", "і", "та", "a", "zu"}
    | {"übersetzt", "übersetzen", "verfügbar", "available", "untertitelt"}
    | {"med", "mit", "con", "avec", "com", "ile", "s", "z", "с", "з", "cu", "kanssa"}
)
# Nouns for "language": an adjective before one names the language ("in deutscher Sprache",
# "українською та англійською мовами", "în limba engleză" has the noun first).
_LANGUAGE_NOUNS = frozenset(
    {
        *("sprache", "language", "langue", "lengua", "idioma", "lingua", "języku", "język"),
        *("языке", "язык", "языком", "мовою", "мовами", "мова", "мови", "mowie"),
        *("übersetzung", "untertiteln", "untertitel", "språk", "språket", "sprog", "sproget"),
        *("kieli", "kielellä", "kielen", "kieltä", "nyelv", "nyelven", "nyelvű", "jazyk"),
        *("jazyce", "jazyka", "dil", "dilinde", "limba", "limbă", "subtitles", "version"),
    }
)
_LIST_WORDS = frozenset(
    {"both", "either", "and", "or", "und", "oder", "et", "y", "e", "i", "och", "og", "та", "і"}
    | {"и", "a", "és", "și", "ja", "ve", "eller", "tai", "nebo", "sau", "или", "або"}
    # degree and time words between a cue and the language ("snakker litt italiensk")
    | {"litt", "lite", "lidt", "bisschen", "etwas", "acum", "now", "also"}
    | {"auch", "aussi", "también", "anche", "też", "także", "også", "också", "myös", "már"}
)
_WORD = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)


def _cjk(ch: str) -> bool:
    return "\u3040" <= ch <= "\u9fff"


def bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if _cjk(text[start]):
        return True
    glued = after.isupper() and text[end - 1].islower()  # "PortugalABEE": extraction glue
    return not (before.isalpha() or (after.isalpha() and not glued))


def is_language_use(text: str, start: int, end: int) -> bool:
    """A language's name, not a country: "in Spanish.", "auf Deutsch und", "på svenska,",
    "in deutscher Sprache", "українською та англійською мовами", "în limba engleză".

    A cue may stand a few words back in a list ("In both Spanish and Portuguese"); a noun
    for "language" may follow after a list ("українською та англійською мовами").
    """
    rest = text[end : end + 80].split()
    for word in rest[:4]:
        low = word.casefold().strip(',.;:!?)»”"')
        if low in _LANGUAGE_NOUNS:
            return True
        if low not in _LIST_WORDS and not _is_adjective_like(low):
            break
    if text[max(0, start - 7) : start].casefold().rstrip().endswith(("limba", "limbii")):
        return True
    before = text[max(0, start - 60) : start].split()
    cue = False
    listed = False  # the word before a list word is a member of the list ("inglese e")
    for word in reversed(before[-5:]):
        low = word.casefold().strip(",")
        if low in _LANGUAGE_CUES:
            cue = True
            break
        member, listed = listed, low in _LIST_WORDS
        if not listed and not member and not word[:1].isupper():
            break
    if not cue:
        return False
    after = text[end:].lstrip(" ")
    if not after or after[0] in '.,;:!?)»”"\n':
        return True
    following = _WORD.match(after)
    return following is not None and following.group(0).casefold() in _PHRASE_END


def _is_adjective_like(word: str) -> bool:
    """Another adjective of a list of languages ("українською та англійською мовами")."""
    return word.endswith(("ською", "ской", "ським", "ский", "ischen", "ische", "ă", "ską"))


# Guarded names that are an ordinary word only in these languages (English "island"): in a
# text known to be in none of them, the name counts without its guard.
_ORDINARY_IN = {"Island": frozenset({"en"})}


def is_person(
    text: str, start: int, end: int, surface: str, languages: frozenset[str] | None = None
) -> bool:
    """A name that is also a first name next to another name: "Chad Smith", "Louis Jordan";
    or a guarded name without its guard word (German "auf Island", not English "Island")."""
    if surface in GUARDED_NAMES:
        ordinary = _ORDINARY_IN.get(surface)
        if ordinary is not None and languages is not None and not ordinary & languages:
            return _after_capitalized(text, start)  # "Shelter Island" is still an island
        guard = text[max(0, start - 12) : start].split()
        return not guard or guard[-1] not in GUARDED_NAMES[surface]
    if surface not in PERSON_NAMES:
        return False
    if _after_capitalized(text, start):
        previous = text[max(0, start - 30) : start].split()[-1]
        if previous not in STATE_WORDS:
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


def after_a_name(text: str, start: int, end: int) -> bool:
    """The country's word is the second word of a name: a capitalized word that starts no
    sentence, is no title or country word, stands before it ("Jane England", "Petr Němec",
    "Ana França", "Selin Arnavut"). Not on a title-case line (a headline capitalizes every
    word) and not for a possessive ("Putin's Russia")."""
    if not _after_capitalized(text, start):
        return False
    before = text[max(0, start - 40) : start].rstrip()
    previous = before.split()[-1]
    if previous in STATE_WORDS or previous.casefold() in _NATIONAL_NOUNS or previous.isupper():
        return False
    head = before[: -len(previous)].rstrip()
    if (len(before) < 40 and not head) or head.endswith((".", ":", "!", "?", "—", "–", "\n")):
        return False  # the word before starts a sentence ("Na Ukrajině", "Уряд України")
    if "\n" in text[max(0, start - 40) : start - len(previous) - 1][-2:]:
        return False
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    words = [
        w for w in text[line_start : line_end if line_end >= 0 else None].split() if len(w) > 3
    ]
    return sum(w[:1].isupper() for w in words) < 0.6 * len(words)


def _after_capitalized(text: str, start: int) -> bool:
    """The word before is capitalized and follows no full stop ("Shelter Island")."""
    before = text[max(0, start - 30) : start]
    if not before.endswith(" ") or before.rstrip().endswith((".", ":", "!", "?", "\n")):
        return False
    words = before.split()
    return bool(words) and words[-1].isalpha() and words[-1][:1].isupper()


def is_proper_name(text: str, start: int, end: int) -> bool:
    """An adjective that its language writes in lower case, capitalized: part of a name
    ("Mikko Ruotsalainen", "Magyar Nemzet", "Svenska Handelsbanken", "Török Gábor") unless
    it only starts a sentence. (Not for German, which capitalizes every noun after it.)"""
    following = _WORD.match(text, end + 1) if text[end : end + 1] in (" ", "–", "-") else None
    before = text[max(0, start - 30) : start].split()
    neighbours = [before[-1] if before else "", following.group(0) if following else ""]
    if any(w.casefold().strip(".,«»„“”") in _NATIONAL_NOUNS for w in neighbours):
        return False  # a national body's name counts: "Agencia Española", "Polskiego Związku"
    if _after_capitalized(text, start) or _after_word(text, start):
        return True
    if start and text[start - 1] in '«„“"‘':
        return True  # a title: «Российская газета», „Magyar Nemzet“
    return following is not None and following.group(0)[:1].isupper()


# Nouns that make a name with the country's adjective a national body, team or federation,
# which the definition counts ("Agencia Española de Meteorología", "Polski Związek
# Piłki Nożnej", "Selección Española"), in the languages that write adjectives in lower case.
_NATIONAL_NOUNS = frozenset(
    {
        *("agencia", "agência", "agenzia", "agency", "związek", "związku", "federacja"),
        *("federacji", "federación", "federação", "federazione", "federace", "federația"),
        *("ministerio", "ministério", "ministero", "ministerstvo", "ministerstwo"),
        *("minisztérium", "ministeriet", "ministeriö", "ministerul", "bakanlığı", "gobierno"),
        *("governo", "rząd", "rządu", "vláda", "vlády", "kormány", "regeringen", "regjeringen"),
        *("guvernul", "hallitus", "parlament", "parlamentu", "sejm", "senát", "armia", "armii"),
        *("armáda", "ejército", "exército", "esercito", "hadsereg", "armata", "liga", "ligi"),
        *("selección", "seleção", "reprezentacja", "reprezentacji", "reprezentace"),
        *("válogatott", "landslag", "landslaget", "landshold", "maajoukkue", "echipa"),
        *("naţională", "națională", "narodowy", "narodowa", "narodowego", "národní", "nacional"),
        *("nazionale", "kansallinen", "instituto", "instytut", "akademie", "akademia"),
        *("academia", "svaz", "szövetség", "förbund", "forbund", "liitto", "federasyonu"),
        *("polícia", "policía", "polizia", "policja", "policie", "rendőrség", "polis"),
    }
)


def _after_word(text: str, start: int) -> bool:
    """A word, not a sentence's end, comes before: the capital is not the sentence's."""
    before = text[max(0, start - 30) : start]
    return (
        before.endswith(" ")
        and bool(before.strip())
        and not before.rstrip().endswith((".", ":", "!", "?", "\n", "“", '"', "„", "«"))
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


def is_us_place(text: str, end: int) -> bool:
    """A town of a US state or a county named like a country: "Lebanon, Pa.", "Peru,
    Indiana", "Lebanon County", "Mexico City"."""
    after = _WORD.match(text, end + 1) if text[end : end + 1] == " " else None
    word = after.group(0) if after is not None else ""
    if word[:1].isupper() and word.casefold().rstrip(".,") in _PLACE_AFTER:
        return True
    if word.casefold().startswith(_REGION_AFTER_STEMS):
        return True
    if text[end : end + 40].casefold().startswith(_IN_A_STATE):
        return True  # "Norway i delstaten Maine", "Peru in the state of Indiana"
    if text[end : end + 2] != ", ":
        return False
    state = _STATE_AFTER.match(text, end + 2)
    return state is not None and (
        state.group(1) in _US_STATES or state.group(1).rstrip(".") in _US_STATES
    )


_STATE_AFTER = re.compile(r"((?:[A-Z][a-z]*\.?(?: |(?=[A-Z]\.)))?[A-Z][A-Za-z]*\.?)(?![a-z])")


_QUOTES = {"“": "”", "„": "“", "«": "»", '"': '"', "‘": "’", "‚": "‘"}


def in_other_name(text: str, start: int, end: int) -> bool:
    """The country's word is part of another name: an organisation ("Turkish Airlines", "Air
    France", "Magyar Telekom") or a region ("the state of Georgia", "Inner Mongolia")."""
    after = _WORD.match(text, end + 1) if text[end : end + 1] in (" ", "-") else None
    if after is not None:
        word = after.group(0).rstrip(".,")
        folded = word.casefold()
        named = word[:1].isupper() and folded in ORGANISATION_AFTER
        if named or folded in _LOWER_CASE_ORGANISATION:
            following = _WORD.match(text, after.end() + 1)
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
_ORGANISATION_LINKS = frozenset({"of", "do", "da", "de", "di", "del", "du", "of the"})


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
