from datetime import UTC, datetime
from pathlib import Path

import duckdb

from flows.cli import main
from ingest.models import Alert, Article, CountryMention
from warehouse import store
from warehouse.db import connect, schema_version

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def populate(db: Path) -> None:
    con = connect(db)
    arts = [
        Article(
            article_id=f"a{i}",
            source="feed",
            url=f"https://x/{i}",
            canonical_url=f"https://x/{i}",
            fetched_at=NOW,
            text=f"Text {i} of Kenya.",
            content_hash=f"h{i}",
            raw_entry={"id": i},
        )
        for i in range(5)
    ]
    store.store_batch(
        con,
        arts,
        [
            CountryMention(
                article_id="a0",
                country_code="KE",
                country_name="Kenya",
                mentions=1,
                first_offset=8,
                snippet="Kenya",
            )
        ],
        [
            Alert(
                alert_id="k",
                country_code="KE",
                country_name="Kenya",
                article_id="a0",
                raised_at=NOW,
                run_id="r",
            )
        ],
        index=[("a0", [7, 8, 9])],
    )
    con.close()


def test_backup_restore_round_trip(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.duckdb"
    populate(db)
    folder = tmp_path / "backup-1"
    assert main(["backup", str(folder), "--db", str(db)]) == 0
    assert "5 articles" in capsys.readouterr().out
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM articles")
    con.execute("DROP VIEW duplicate_clusters")
    con.close()
    assert main(["restore", str(folder), "--db", str(db)]) == 0
    assert "restored from" in capsys.readouterr().out
    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (5,)
    assert con.execute(
        "SELECT raw_entry->>'$.id' FROM articles WHERE article_id = 'a3'"
    ).fetchone() == ("3",)
    assert con.execute("SELECT count(*) FROM duplicate_clusters").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM dedupe_index").fetchone() == (3,)
    assert schema_version(con) >= 5
    con.close()
    old = duckdb.connect(str(tmp_path / "w.duckdb.before-restore"), read_only=True)
    assert old.execute("SELECT count(*) FROM articles").fetchone() == (0,)
    old.close()


def test_backup_needs_an_empty_folder_and_restore_a_backup(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.duckdb"
    populate(db)
    folder = tmp_path / "full"
    folder.mkdir()
    (folder / "notes.txt").write_text("x")
    assert main(["backup", str(folder), "--db", str(db)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["restore", str(folder), "--db", str(db)]) == 2
    assert "not a newsdesk backup" in capsys.readouterr().err
    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (5,)
    con.close()
