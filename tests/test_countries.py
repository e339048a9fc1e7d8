from pathlib import Path

import pytest
from conftest import SEEDS
from hypothesis import given
from hypothesis import strategies as st

from ingest.countries import default_detector, detect_countries

SEED_TEXT = (SEEDS / "000_d5e3e44abf298f38.txt").read_text(encoding="utf-8")


def codes(text: str) -> set[str]:
    return {c.code for c in detect_countries(text)}


def test_seed_countries_exactly() -> None:
    assert codes(SEED_TEXT) == {"US", "UA", "RU", "SV", "CR", "GT", "PA", "RW", "CD", "LY"}


def test_counts_offsets_and_snippets() -> None:
    text = "Talks in Kenya. Kenya's ministers met Tanzanian officials."
    found = {c.code: c for c in detect_countries(text)}
    assert found["KE"].mentions == 2 and found["KE"].first_offset == text.index("Kenya")
    assert "Kenya" in found["KE"].snippet
    assert found["TZ"].mentions == 1 and found["TZ"].name == "Tanzania"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Washington Post reported it.", set()),
        ("Latin American and Central American leaders met.", set()),
        ("He spoke in Spanish.", set()),
        ("Spanish officials met.", {"ES"}),
        ("Nigeria and Niger signed a deal.", {"NG", "NE"}),
        ("Papua New Guinea and Equatorial Guinea", {"PG", "GQ"}),
        ("Belfast, Northern Ireland", {"GB"}),
        ("The Republic of Ireland voted.", {"IE"}),
        ("South Sudan and Sudan", {"SS", "SD"}),
        ("Dominica and the Dominican Republic", {"DM", "DO"}),
        ("BAAR, SWITZERLAND — the company said", {"CH"}),
        ("UK and U.K. and UAE and DRC", {"GB", "AE", "CD"}),
        ("Polish-born US-China trade", {"PL", "US", "CN"}),
        ("Frankreich und Österreich", {"FR", "AT"}),
        ("the Soviet Union collapsed", set()),
        ("a guinea pig and fine china", set()),
        ("New Mexico and New Jersey", set()),
    ],
)
def test_hard_cases(text: str, expected: set[str]) -> None:
    assert codes(text) == expected


HARD_CASES = Path(__file__).parents[1] / "benchmarks" / "data" / "country_hard_cases.tsv"


def _hard_case_rows() -> list[tuple[str, set[str]]]:
    rows = []
    for line in HARD_CASES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            text, _, codes_ = line.partition("\t")
            rows.append((text, {c for c in codes_.split(",") if c}))
    return rows


@pytest.mark.parametrize(("text", "expected"), _hard_case_rows())
def test_written_hard_cases(text: str, expected: set[str]) -> None:
    """The hard-case sentences of the evaluation (fixed expressions, lone adjectives, kanji
    abbreviations, look-alikes), each as a test."""
    assert codes(text) == expected


def test_detector_is_built_once() -> None:
    assert default_detector() is default_detector()


@given(st.text(max_size=300))
def test_never_raises_and_offsets_inside_text(text: str) -> None:
    for c in detect_countries(text):
        assert 0 <= c.first_offset < len(text)
        assert c.mentions >= 1
