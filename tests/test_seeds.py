from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SEEDS, table_counts

from ingest.articles import tag_countries
from ingest.errors import SeedError
from ingest.seeds import load_seeds, parse_seed
from warehouse import store

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def test_bundled_seed_parses() -> None:
    (seed,) = load_seeds(SEEDS, NOW)
    assert seed.source == "seed"
    assert seed.canonical_url == "seed:000_d5e3e44abf298f38.txt"
    assert seed.published_at == datetime(2025, 5, 7, tzinfo=UTC)
    assert seed.text.startswith("Ukraine was among the countries asked to accept U.S. deportees")
    assert seed.text.endswith("may deport migrants to Libya for the first time this week.")
    assert "\n\nPresident Donald Trump" in seed.text


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"Ukraine was among the countries.\n\nBody.", "first line must be"),
        (b" date 2025-13-40 A sentence.\n\nBody.", "bad date '2025-13-40'"),
        (b" date 2025-05-07   \n\nBody.", "no sentence after the date"),
        (b" date 2025-05-07 Caf\xe9 sentence.\n", "not UTF-8"),
        (b"", "first line must be"),
    ],
)
def test_malformed_seed_names_file_and_problem(raw: bytes, problem: str) -> None:
    with pytest.raises(SeedError) as err:
        parse_seed("007_bad.txt", raw, NOW)
    assert "007_bad.txt" in str(err.value)
    assert problem in str(err.value)


def test_malformed_seed_in_folder_stops_loading(tmp_path: Path) -> None:
    (tmp_path / "001_good.txt").write_text(" date 2025-01-01 Fine.\n\nBody text.")
    (tmp_path / "002_bad.txt").write_text("no header here\n")
    with pytest.raises(SeedError, match=r"002_bad\.txt"):
        load_seeds(tmp_path)


def test_missing_seed_folder(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="seeds folder not found"):
        load_seeds(tmp_path / "nope")


def test_seeds_store_idempotently(db) -> None:
    seeds = load_seeds(SEEDS, NOW)
    assert store.store_batch(db, seeds, tag_countries(seeds), []) == 1
    assert store.store_batch(db, seeds, tag_countries(seeds), []) == 0
    assert table_counts(db, "articles", "country_mentions") == {
        "articles": 1,
        "country_mentions": 10,
    }
    row = db.execute("SELECT source, published_at FROM articles").fetchone()
    assert row == ("seed", datetime(2025, 5, 7, tzinfo=UTC))
