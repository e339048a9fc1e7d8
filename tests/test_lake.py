"""The warehouse in a DuckLake (a DuckDB-file catalog, Parquet data), kept up to date night by
night by `newsdesk export --ducklake`: the documented SQL gives on the lake what it gives on
the file, and each export is one snapshot with only the new and changed rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import make_article, make_mention, sql_examples

from cli.main import main
from ingest.models import Alert, FeedSpec
from warehouse import store
from warehouse.db import connect
from warehouse.lake import extension_path

NIGHT = datetime(2026, 11, 20, 3, tzinfo=UTC)


def _night(db: Path, n: int) -> None:
    """A night's originals, a copy, their countries and an alert, as a run stores them."""
    con = connect(db)
    day = NIGHT + timedelta(days=n)
    arts = [
        make_article(
            f"n{n}a{i}",
            f"Kenya and Chile, night {n}, story {i}.",
            day,
            title=f"Story {n}.{i}",
            published_at=day,
            site_name="Harbor Daily",
        )
        for i in range(3)
    ]
    arts.append(
        make_article(
            f"n{n}c",
            "A copy.",
            day,
            title=f"Copy {n}",
            duplicate_of=f"n{n}a0",
            site_name="Evening Courier",
        )
    )
    mentions = [make_mention(a.article_id, "KE", "Kenya") for a in arts[:3]]
    alerts = (
        [
            Alert(
                alert_id=f"al{n}",
                country_code="KE" if n == 0 else "CL",
                country_name="Kenya" if n == 0 else "Chile",
                article_id=f"n{n}a0",
                raised_at=day,
                run_id=f"r{n}",
            )
        ]
        if n < 2
        else []
    )
    store.store_batch(con, arts, mentions, alerts)
    store.register_feeds(con, [FeedSpec(url="https://harbor.example/rss", name="Harbor")])
    con.execute(
        "INSERT INTO runs (run_id, started_at, status) VALUES (?, ?, 'completed')", [f"r{n}", day]
    )
    con.close()


def _answers(con: duckdb.DuckDBPyConnection) -> list[list[str]]:
    """What each documented statement returns, rows as sorted text."""
    out = []
    for doc, statement in sql_examples():
        try:
            rows = con.execute(statement).fetchall()
        except duckdb.Error as exc:
            raise AssertionError(f"{doc}: {statement}\n{exc}") from exc
        out.append(sorted(map(repr, rows)))
    return out


def test_the_documented_sql_gives_on_the_lake_what_it_gives_on_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, catalog = tmp_path / "w.duckdb", tmp_path / "lake" / "catalog.ducklake"
    snapshots: list[Any] = []
    for n in range(3):
        _night(db, n)
        assert main(["export", "--ducklake", str(catalog), "--db", str(db)]) == 0
        out = capsys.readouterr().out
        assert "articles: 4 rows" in out and f"written to the DuckLake {catalog}" in out
        lake = duckdb.connect()
        lake.execute(f"LOAD '{extension_path()}'")  # from the package: no download
        lake.execute(f"ATTACH 'ducklake:{catalog}' AS lake (READ_ONLY)")
        snapshots.append(lake.execute("SELECT count(*) FROM ducklake_snapshots('lake')").fetchone())
        lake.execute("USE lake")
        on_lake = _answers(lake)
        lake.close()
        file = duckdb.connect(str(db), read_only=True)
        on_file = _answers(file)
        file.close()
        assert len(on_file) >= 8 and on_lake == on_file, n
    assert [s[0] for s in snapshots] == [2, 3, 4]  # one snapshot a night after the first
    assert (tmp_path / "lake" / "data").is_dir()


def test_a_catalog_that_cannot_be_opened_is_said_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "w.duckdb"
    _night(db, 0)
    bad = tmp_path / "not-a-lake.ducklake"
    bad.write_text("this is no catalog")
    assert main(["export", "--ducklake", str(bad), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--ducklake {bad}" in err
