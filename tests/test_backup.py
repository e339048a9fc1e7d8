import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from conftest import make_article, run_nightly, update_iceland_story, warehouse_state

from cli.main import main
from flows.demo import SITE_DIR, serve_site, write_feed_list
from ingest.models import Alert, CountryMention
from warehouse import store
from warehouse.db import connect, schema_version

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def populate(db: Path) -> None:
    con = connect(db)
    arts = [
        make_article(f"a{i}", f"Text {i} of Kenya.", NOW, content_hash=f"h{i}", raw_entry={"id": i})
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


@pytest.mark.integration
def test_a_warehouse_made_by_runs_round_trips_and_answers_as_the_original(
    prefect_server: str, tmp_path: Path, capsys
) -> None:
    """Search index, archive, dedupe index and alert deliveries, as a real run leaves them:
    the restored copy answers a search and the next night exactly as the original does."""
    root = tmp_path / "site"
    shutil.copytree(SITE_DIR, root)
    original, copy = tmp_path / "original.duckdb", tmp_path / "restored.duckdb"
    with serve_site(root, port=0) as site:
        feeds = write_feed_list(site.url, tmp_path / "feeds.toml")
        assert run_nightly(feeds, original).status == "completed"
        capsys.readouterr()
        assert main(["backup", str(tmp_path / "bk"), "--db", str(original)]) == 0
        out = capsys.readouterr().out
        assert main(["restore", str(tmp_path / "bk"), "--db", str(copy)]) == 0
        capsys.readouterr()
        assert ": 8 articles, " in out, out  # 7 from the feeds and the seed
        con = duckdb.connect(str(original), read_only=True)
        before = table_counts_all(con)
        con.close()
        con = duckdb.connect(str(copy), read_only=True)
        assert table_counts_all(con) == before
        con.close()
        assert before["fts_main_search_docs.terms"] > 0 and before["page_archive"] > 0
        assert before["alert_deliveries"] == 0 and before["dedupe_docs"] > 0

        answers = []
        for db in (original, copy):
            assert main(["search", "railway", "--db", str(db), "--format", "csv"]) == 0
            answers.append(capsys.readouterr().out)
        assert answers[0] == answers[1] and "Kenya and Tanzania" in answers[0]

        update_iceland_story(root, "Update: the council approved the pipeline.")
        nights = [run_nightly(feeds, db) for db in (original, copy)]
    assert [n.revisions for n in nights] == [1, 1]
    assert [n.articles_stored for n in nights] == [0, 0]
    assert warehouse_state(original, site.url) == warehouse_state(copy, site.url)


def table_counts_all(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE'"
    ).fetchall()
    return {
        (t if s == "main" else f"{s}.{t}"): con.execute(
            f'SELECT count(*) FROM "{s}"."{t}"'
        ).fetchone()[0]
        for s, t in rows
    }
