"""Case forms of country names: German genitives ("Frankreichs"), Polish, Russian and Ukrainian
declensions ("Rosji", "России"), derived with each language's regular endings from the one
name CLDR gives."""

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
    """Russian and Ukrainian, together: one table of endings covers both."""
    if name.endswith(("ия", "ія")):
        stem = name[:-1]
        return [stem + "и", stem + "ю", stem + "ей", stem + "ї", stem + "ю", stem + "єю"]
    if name.endswith("а"):
        stem = name[:-1]
        return [stem + e for e in ("ы", "е", "у", "ой", "и", "і", "ою")]
    if name.endswith("й"):
        stem = name[:-1]
        return [stem + e for e in ("я", "ю", "ем", "е", "ї", "єм")]
    if name[-1:].isalpha() and name[-1] not in "аеёиоуыэюяіїє":
        return [name + e for e in ("а", "у", "ом", "е", "і")]
    return []


_CASES = {"de": _de_cases, "pl": _pl_cases, "ru": _east_slavic_cases, "uk": _east_slavic_cases}


def inflect_name(name: str, lang: str) -> list[str]:
    """Case forms of a one-word country name that the language derives regularly."""
    cases = _CASES.get(lang)
    if cases is None or " " in name or "-" in name:
        return []
    return cases(name)
