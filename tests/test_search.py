from datetime import UTC, datetime, timedelta
from pathlib import Path

from flows.cli import main
from ingest.models import Article, CountryMention
from warehouse import store
from warehouse.db import connect
from warehouse.search import build_fts_index

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def populate(db: Path) -> None:
    con = connect(db)
    texts = {
        "a": "The harbour railway to Kenya opens. The railway carries containers.",
        "b": "A railway strike in the harbour town ended.",
        "c": "Copper prices rose; the harbour was quiet.",
        "d": "The railway copy.",
    }
    arts = [
        Article(
            article_id=k,
            source="feed",
            url=f"https://x/{k}",
            canonical_url=f"https://x/{k}",
            title=f"Story {k}",
            fetched_at=NOW,
            text=t,
            content_hash=k,
            duplicate_of="a" if k == "d" else None,
        )
        for k, t in texts.items()
    ]
    store.store_batch(
        con,
        arts,
        [
            CountryMention(
                article_id="a",
                country_code="KE",
                country_name="Kenya",
                mentions=1,
                first_offset=20,
                snippet="",
            )
        ],
        [],
    )
    con.close()


def test_search_ranks_by_bm25_with_the_shipped_extension(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.duckdb"
    populate(db)
    con = connect(db)
    assert build_fts_index(con) is None
    con.close()
    assert main(["search", "railway harbour", "--db", str(db), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    rows = [line.split(",") for line in captured.out.splitlines()[1:]]
    assert [r[0] for r in rows] == ["a", "b"]
    assert float(rows[0][1]) > float(rows[1][1]) > 0
    assert main(["search", "railways", "--db", str(db), "--format", "csv"]) == 0
    stemmed = [ln.split(",")[0] for ln in capsys.readouterr().out.splitlines()[1:]]
    assert stemmed == ["a", "b"]
    assert main(["search", "railway", "--country", "ke", "--db", str(db), "--format", "csv"]) == 0
    assert [ln.split(",")[0] for ln in capsys.readouterr().out.splitlines()[1:]] == ["a"]


def test_search_falls_back_to_ranked_substrings_without_the_extension(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    db = tmp_path / "w.duckdb"
    populate(db)
    missing = tmp_path / "nowhere" / "fts.duckdb_extension"
    monkeypatch.setenv("NEWSDESK_FTS_EXTENSION", str(missing))
    assert main(["search", "railway harbour", "--db", str(db), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    rows = [line.split(",")[0] for line in captured.out.splitlines()[1:]]
    assert rows == ["a", "b"]
    assert captured.err.startswith("newsdesk: full-text extension unavailable (")
    assert "using substring search" in captured.err
    assert captured.err.count("\n") == 1
    assert main(["search", "railway", "--country", "ke", "--db", str(db), "--format", "csv"]) == 0
    assert [ln.split(",")[0] for ln in capsys.readouterr().out.splitlines()[1:]] == ["a"]
    assert main(["search", "railway", "--since", "2027-01-01", "--db", str(db)]) == 0
    assert "(0 rows)" in capsys.readouterr().out


def test_search_terms_are_parameters_not_sql(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.duckdb"
    populate(db)
    assert main(["search", "x') OR 1=1; DROP TABLE articles; --", "--db", str(db)]) == 0
    assert "(0 rows)" in capsys.readouterr().out
    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (4,)
    con.close()


def test_ranked_window_then_older_articles_by_substring(tmp_path: Path, capsys) -> None:
    """The BM25 index holds only the window's originals (so rebuilding it costs the window, not
    the history); an older match is still listed, after the ranked ones, with a notice."""
    db = tmp_path / "w.duckdb"
    populate(db)
    con = connect(db)
    old = Article(
        article_id="e",
        source="feed",
        url="https://x/e",
        canonical_url="https://x/e",
        title="Story e",
        fetched_at=NOW - timedelta(days=40),
        text="Last year's railway timetable for the harbour line.",
        content_hash="e",
    )
    store.store_batch(con, [old], [], [])
    assert build_fts_index(con, since=NOW - timedelta(days=30)) is None
    indexed = con.execute("SELECT article_id FROM search_docs ORDER BY 1").fetchall()
    con.close()
    assert indexed == [("a",), ("b",), ("c",)]
    assert main(["search", "railway harbour", "--db", str(db), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert [ln.split(",")[0] for ln in captured.out.splitlines()[1:]] == ["a", "b", "e"]
    assert "1 older article(s), outside the ranked search window" in captured.err
