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

from ingest.gazetteer import GUARDED_NAMES, PERSON_NAMES, STATE_WORDS

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
        *("parla", "parlano", "parlare", "correntemente", "habla", "hablan"),
        *("hablar", "parle", "parlent", "parler", "couramment", "fala", "falam", "falar"),
        *("fluentemente", "spricht", "sprechen", "fließend", "mówić", "mówią", "płynnie"),
        *("говорить", "говорят", "свободно", "вільно", "konuşuyor", "konuşan", "akıcı"),
        *("beszél", "beszélnek", "vorbește", "vorbesc", "mluvit", "puhua"),
        *("puhuvat", "snakke", "tala", "talte", "talade", "învață", "învăța", "studiază"),
        *("learns", "studies", "lernt", "lernen", "aprende", "impara", "apprend", "uczy"),
        # translated from: "traduit du japonais", "översatts från franska", "tradus din maghiară"
        *("du", "från", "fra", "din", "dal", "dallo", "del", "z", "з", "с", "kielestä"),
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
WORD = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)


def _cjk(ch: str) -> bool:
    return "\u3040" <= ch <= "\u9fff"


def bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if _cjk(text[start]):
        return True
    glued = after.isupper() and text[end - 1].islower()  # "PortugalABEE": extraction glue
    return not (before.isalpha() or (after.isalpha() and not glued))


# A hyphenated word after the country's adjective that makes it a language ("French-speaking",
# "German-language", "englischsprachige" is one word and never matches).
_LANGUAGE_SUFFIXES = ("-speaking", "-speakers", "-speaker", "-language", "-sprachig")


def is_language_use(text: str, start: int, end: int) -> bool:
    """A language's name, not a country: "in Spanish.", "auf Deutsch und", "på svenska,",
    "in deutscher Sprache", "українською та англійською мовами", "în limba engleză".

    A cue may stand a few words back in a list ("In both Spanish and Portuguese"); a noun
    for "language" may follow after a list ("українською та англійською мовами").
    """
    if text[end : end + 12].casefold().startswith(_LANGUAGE_SUFFIXES):
        return True  # "French-speaking", "Spanish-language"
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
    following = WORD.match(after)
    return following is not None and following.group(0).casefold() in _PHRASE_END


def _is_adjective_like(word: str) -> bool:
    """Another adjective of a list of languages ("українською та англійською мовами")."""
    return word.endswith(
        ("ською", "цькою", "ькою", "ской", "цкой", "ским", "ським", "ский", "ischen", "ische")
    ) or word.endswith(("ă", "ską", "ckou", "skou"))


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
    following = WORD.match(text, end + 1)
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
    if previous in STATE_WORDS or previous.casefold() in NATIONAL_NOUNS or previous.isupper():
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
    following = WORD.match(text, end + 1) if text[end : end + 1] in (" ", "–", "-") else None
    before = text[max(0, start - 30) : start].split()
    neighbours = [before[-1] if before else "", following.group(0) if following else ""]
    if any(w.casefold().strip(".,«»„“”") in NATIONAL_NOUNS for w in neighbours):
        return False  # a national body's name counts: "Agencia Española", "Polskiego Związku"
    if _after_capitalized(text, start) or _after_word(text, start):
        return True
    if start and text[start - 1] in '«„“"‘':
        return True  # a title: «Российская газета», „Magyar Nemzet“
    return following is not None and following.group(0)[:1].isupper()


# Nouns that make a name with the country's adjective a national body, team or federation,
# which the definition counts ("Agencia Española de Meteorología", "Polski Związek
# Piłki Nożnej", "Selección Española"), in the languages that write adjectives in lower case.
NATIONAL_NOUNS = frozenset(
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
        *("chanceler", "chancellor", "kanzler", "presidente", "président", "premier"),
        *("primeiro-ministro", "ministro", "ministre", "minister", "prezydent", "premiér"),
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


_ALONE_AFTER = frozenset({"czy", "i", "lub", "albo", "oraz"})


def alone(text: str, end: int) -> bool:
    """No noun follows the adjective: punctuation or a conjunction comes next."""
    rest = text[end : end + 12].lstrip(" ")
    if not rest or rest[0] in ",;:?!.)":
        return True
    word = rest.split(maxsplit=1)[0].casefold()
    return word in _ALONE_AFTER
