"""Case forms of country names: German genitives ("Frankreichs"), Polish, Russian, Ukrainian and
Czech declensions ("Rosji", "России", "Německa"), Finnish and Hungarian cases ("Ruotsissa",
"Németországban"), Romanian and Scandinavian genitives ("Germaniei", "Sveriges"), derived
with each language's regular endings from the one name CLDR gives. Turkish needs none: it
writes a proper name's suffixes after an apostrophe ("Almanya'nın"), a word boundary."""

from __future__ import annotations


def _de_cases(name: str) -> list[str]:
    if name.endswith(("s", "z", "x", "ß")):
        return []
    return [name + "s"] if not name.endswith(("ei", "e")) else []


def _pl_cases(name: str) -> list[str]:
    if name.endswith("ia"):
        return [name[:-1] + "i", name[:-1] + "ę", name[:-1] + "ą", name[:-2] + "ii"]
    if name.endswith("ja"):
        return [name[:-1] + "i", name[:-1] + "ę", name[:-1] + "ą"]
    if name.endswith("a"):
        stem = name[:-1]
        soft = stem.endswith(("k", "g"))
        return [stem + ("i" if soft else "y"), stem + "ę", stem + "ą", stem + "ie"]
    if name.endswith("y"):
        return []
    return [name + "u", name + "em", name + "a", name + "ie"]


def _east_slavic_cases(name: str) -> list[str]:
    """Russian and Ukrainian, together: one table of endings covers both. Names ending in a
    vowel and -а (Самоа) do not decline ("Самое" is "the most")."""
    if name.endswith("а") and name[-2:-1] in "аеёоуыэюяє":
        return []
    if name.endswith(("ия", "ія")):
        stem = name[:-1]
        return [stem + "и", stem + "ю", stem + "ей", stem + "ї", stem + "ю", stem + "єю"]
    if name.endswith("а"):
        stem = name[:-1]
        return [stem + e for e in ("ы", "е", "у", "ой", "и", "і", "ою")]
    if name.endswith("й"):
        stem = name[:-1]
        return [stem + e for e in ("я", "ю", "ем", "е", "ї", "єм")]
    if name.endswith("ь"):  # Израиль -> Израиля, Ізраїль -> Ізраїлю
        stem = name[:-1]
        return [stem + e for e in ("я", "ю", "ем", "е", "і", "ем")]
    if name.endswith(("ет", "ец")):  # the vowel falls: Египет -> Египта, Єгипет -> Єгипту
        name = name[:-2] + name[-1]
    if name[-1:].isalpha() and name[-1] not in "аеёиоуыэюяіїє":
        return [name + e for e in ("а", "у", "ом", "е", "і")]
    return []


def _fi_back(word: str) -> bool:
    """Finnish vowel harmony: back-vowel words take -a, -o, -u endings."""
    return any(c in "aou" for c in word.casefold())


# Finnish stems that the rules below cannot derive (gradation of a native word, plurals).
_FI_WEAK = {"Suomi": "Suome", "Kypros": "Kyprokse", "Venäjä": "Venäjä", "Alankomaat": "Alankomai"}


def _fi_weak(name: str) -> str:
    """The weak grade of a Finnish stem (consonant gradation): Kreikka -> Kreika, Turkki ->
    Turki, Englanti -> Englanni, Itävalta -> Itävalla."""
    if name in _FI_WEAK:
        return _FI_WEAK[name]
    for strong, weak in (("kk", "k"), ("pp", "p"), ("tt", "t"), ("nt", "nn"), ("lt", "ll")):
        if name[-3:-1] == strong and name[-1] in "aeiouyäö":
            return name[:-3] + weak + name[-1]
    return name


def _fi_cases(name: str) -> list[str]:
    """Finnish cases: the weak grade takes the genitive and the local cases (Kreikan, Kreikassa),
    the strong one the partitive, essive and illative (Kreikkaa, Kreikkana, Kreikkaan); a name
    ending in a consonant adds -i- first (Israelin, Israelissa)."""
    a = "a" if _fi_back(name) else "ä"
    if name[-1] not in "aeiouyäö":
        name = weak = name + "i"
        strong = [name + a, name + "n" + a, name + "in"]
    else:
        weak = _fi_weak(name)
        strong = [name + a, name + "n" + a, name + name[-1] + "n"]
    local = ("n", "ss" + a, "st" + a, "ll" + a, "lt" + a, "lle", "ksi", "nkin", "ss" + a + "kin")
    return strong + [weak + e for e in local]


def hu_harmony(word: str) -> str:
    """Hungarian vowel harmony, from the last vowel that is not i or í: "back", "front" or
    "round" (front rounded); Izrael is front, Irán and Argentína back."""
    vowels = [c for c in word.casefold() if c in "aáoóuúeéöőüű"]
    last = vowels[-1] if vowels else "e"
    if last in "aáoóuú":
        return "back"
    return "round" if last in "öőüű" else "front"


_HU_SUFFIXES = {
    "back": ("ban", "ba", "ból", "ra", "ról", "hoz", "nál", "tól", "nak", "ig", "ért"),
    "front": ("ben", "be", "ből", "re", "ről", "hez", "nél", "től", "nek", "ig", "ért"),
    "round": ("ben", "be", "ből", "re", "ről", "höz", "nél", "től", "nek", "ig", "ért"),
}


def _hu_cases(name: str) -> list[str]:
    """Hungarian case suffixes, glued to the name: Németországban, Kínából (a final a or e
    lengthens: Kína -> Kíná-), Oroszországgal (-val assimilates to a final consonant)."""
    harmony = hu_harmony(name)
    if name[-1] in "aeáéíóőúűiouöü":  # Kína -> Kíná-, Montenegró -> Montenegrót
        stem = name[:-1] + {"a": "á", "e": "é"}.get(name[-1], name[-1])
        with_ = stem + ("val" if harmony == "back" else "vel")
        on, acc = stem + "n", stem + "t"
    else:
        stem = name
        with_ = name + name[-1] + ("al" if harmony == "back" else "el")
        on = name + {"back": "on", "front": "en", "round": "ön"}[harmony]
        acc = name + {"back": "ot", "front": "et", "round": "öt"}[harmony]
    # -i makes the adjective "of the country", in lower case (németországi, bulgáriai).
    of = [name.lower() + "i"] if not name.endswith("i") else []
    return [stem + s for s in _HU_SUFFIXES[harmony]] + [with_, on, acc, *of]


def _cs_cases(name: str) -> list[str]:
    """Czech declension: Německo -> Německa, Německu, Německem; Francie -> Francii, Francií;
    Ukrajina -> Ukrajiny, Ukrajině, Ukrajinu, Ukrajinou (Amerika -> Americe); Izrael ->
    Izraele, Izraeli, Izraelem, Íránu."""
    if name.endswith("o"):
        return [name[:-1] + e for e in ("a", "u", "em")]
    if name.endswith("ie"):
        return [name[:-1] + "i", name[:-1] + "í"]
    if name.endswith("a"):
        stem = name[:-1]
        soft = {"k": stem[:-1] + "ce", "h": stem[:-1] + "ze", "g": stem[:-1] + "ze"}
        locative = soft.get(stem[-1:], stem + ("e" if stem[-1:] in "lszcjřžšč" else "ě"))
        return [stem + "y", stem + "u", stem + "ou", locative, stem + "i"]
    if name[-1:].isalpha() and name[-1] not in "aeiouyáéíóúůýě":
        return [name + e for e in ("u", "a", "e", "em", "i", "ě")]
    return []


def _ro_cases(name: str) -> list[str]:
    """Romanian genitive-dative with the article: Germania -> Germaniei, România -> României,
    Israel -> Israelului (and Israelul)."""
    if name.endswith(("a", "ă")):
        return [name[:-1] + "ei"]
    if name[-1:].isalpha() and name[-1] not in "aeiouăâî":
        return [name + "ul", name + "ului"]
    return []


def _nordic_cases(name: str) -> list[str]:
    """Swedish, Danish and Norwegian genitive: Sveriges, Norges, Tysklands."""
    return [] if name.endswith(("s", "x", "z")) else [name + "s"]


_CASES = {
    "de": _de_cases,
    "pl": _pl_cases,
    "ru": _east_slavic_cases,
    "uk": _east_slavic_cases,
    "fi": _fi_cases,
    "hu": _hu_cases,
    "cs": _cs_cases,
    "ro": _ro_cases,
    "sv": _nordic_cases,
    "da": _nordic_cases,
    "nb": _nordic_cases,
}
# Languages that decline only the last word of a longer name (Etelä-Korean, Egyesült
# Államokban, Sør-Koreas); the others decline every word or none, so only one-word names.
_LAST_WORD = frozenset({"fi", "hu", "sv", "da", "nb"})


def inflect_name(name: str, lang: str) -> list[str]:
    """Case forms of a country name that the language derives regularly."""
    cases = _CASES.get(lang)
    if cases is None:
        return []
    if " " in name or "-" in name:
        if lang not in _LAST_WORD:
            return []
        cut = max(name.rfind(" "), name.rfind("-")) + 1
        return [name[:cut] + form for form in cases(name[cut:])]
    return cases(name)
