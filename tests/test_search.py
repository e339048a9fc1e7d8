import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import make_article

from cli.main import main
from ingest.models import Article, CountryMention
from warehouse import store
from warehouse.db import connect
from warehouse.search import extension_path, update_fts_index

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
        make_article(
            k, t, NOW, title=f"Story {k}", content_hash=k, duplicate_of="a" if k == "d" else None
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
    assert update_fts_index(con) is None
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
    old = make_article(
        "e",
        "Last year's railway timetable for the harbour line.",
        NOW - timedelta(days=40),
        title="Story e",
        content_hash="e",
    )
    store.store_batch(con, [old], [], [])
    assert update_fts_index(con, since=NOW - timedelta(days=30)) is None
    indexed = con.execute("SELECT article_id FROM search_docs ORDER BY 1").fetchall()
    con.close()
    assert indexed == [("a",), ("b",), ("c",)]
    assert main(["search", "railway harbour", "--db", str(db), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert [ln.split(",")[0] for ln in captured.out.splitlines()[1:]] == ["a", "b", "e"]
    assert "1 older article(s), outside the ranked search window" in captured.err


WORDS = [
    *("harbour", "railway", "copper", "election", "ministry", "drought", "coffee", "tariff"),
    *("strike", "bridge", "court", "festival", "vaccine", "budget", "river", "border"),
    *("summit", "satellite", "museum", "pension"),
]


def _story(i: int, days: int = 0, title: str | None = None) -> Article:
    words = [WORDS[(i * k + k) % len(WORDS)] for k in range(1, 4 + i % 9)]
    text = f"The {' and the '.join(words)} were discussed again; officials said {words[0]}s matter."
    return make_article(
        f"s{i:03d}",
        text,
        NOW - timedelta(days=days),
        title=title or f"On the {words[-1]}",
        content_hash=f"h{i}-{len(text)}",
    )


def _scores(con, schema: str, query: str) -> dict[str, float]:
    return dict(
        con.execute(
            f"SELECT article_id, {schema}.match_bm25(article_id, ?) AS s FROM articles"
            " WHERE s IS NOT NULL",
            [query],
        ).fetchall()
    )


def test_the_index_kept_up_to_date_scores_as_a_full_rebuild(tmp_path: Path) -> None:
    """Batches added, a text revised, a title changed, an article turned duplicate, one left
    the window: the index kept up to date gives the scores of DuckDB's own
    ``create_fts_index`` over the same originals."""
    con = connect(tmp_path / "w.duckdb")
    since = NOW - timedelta(days=30)
    store.store_batch(con, [_story(i, days=40 if i < 3 else 1) for i in range(20)], [], [])
    assert update_fts_index(con, since=since) is None
    assert con.execute("SELECT count(*) FROM search_docs").fetchone() == (17,)
    store.store_batch(con, [_story(i) for i in range(20, 45)], [], [])
    assert update_fts_index(con, since=since) is None
    con.execute(
        "UPDATE articles SET text = 'The harbour strike ended.', content_hash = 'new'"
        " WHERE article_id = 's010'"
    )
    con.execute("UPDATE articles SET title = 'Satellite museum' WHERE article_id = 's011'")
    con.execute("UPDATE articles SET duplicate_of = 's013' WHERE article_id = 's012'")
    con.execute(
        "UPDATE articles SET fetched_at = ? WHERE article_id = 's014'", [since - timedelta(1)]
    )
    assert update_fts_index(con, since=since) is None
    indexed = {r[0] for r in con.execute("SELECT article_id FROM search_docs").fetchall()}
    assert "s012" not in indexed and "s014" not in indexed and "s010" in indexed

    con.execute(f"LOAD '{extension_path()}'")
    con.execute(
        "CREATE TABLE ref AS SELECT article_id, title, text FROM articles WHERE source = 'feed'"
        " AND duplicate_of IS NULL AND fetched_at >= ?",
        [since],
    )
    con.execute("PRAGMA create_fts_index('ref', 'article_id', 'title', 'text', overwrite = 1)")
    assert (
        con.execute("SELECT * FROM fts_main_search_docs.stats").fetchall()
        == con.execute("SELECT * FROM fts_main_ref.stats").fetchall()
    )
    compared = 0
    for query in ("harbour strike", "satellite museum", "copper", "railways and bridges", "court"):
        ours, reference = (
            _scores(con, "fts_main_search_docs", query),
            _scores(con, "fts_main_ref", query),
        )
        assert ours.keys() == reference.keys()
        assert all(abs(ours[k] - reference[k]) < 1e-9 for k in ours)
        compared += len(ours)
    assert compared > 40
    con.close()


def test_an_index_from_an_older_version_is_replaced(tmp_path: Path) -> None:
    """Older versions copied the window's texts into ``search_docs`` and rebuilt the index over
    it every night; the first update makes the layout that is kept up to date instead."""
    db = tmp_path / "w.duckdb"
    populate(db)
    con = connect(db)
    con.execute(f"LOAD '{extension_path()}'")
    con.execute("CREATE TABLE search_docs AS SELECT article_id, title, text FROM articles")
    con.execute("PRAGMA create_fts_index('search_docs', 'article_id', 'title', 'text')")
    assert update_fts_index(con) is None
    columns = [r[0] for r in con.execute("DESCRIBE search_docs").fetchall()]
    assert "docid" in columns and "text" not in columns
    assert set(_scores(con, "fts_main_search_docs", "railway")) == {"a", "b"}
    con.close()


def test_a_re_extracted_text_is_indexed_again_even_with_the_same_hash(tmp_path: Path) -> None:
    """``newsdesk reextract`` replaces the article row; a new text that only differs in what the
    content hash ignores (ß and ss, a ligature) still has other tokens."""
    con = connect(tmp_path / "w.duckdb")
    before = _story(1).model_copy(update={"text": "The Straße to the ﬁnance ministry closed."})
    store.store_batch(con, [before], [], [])
    assert update_fts_index(con) is None
    after = before.model_copy(update={"text": "The Strasse to the finance ministry closed."})
    assert after.text != before.text
    store.store_batch(con, [after], [], [], replace=True)
    assert update_fts_index(con) is None
    assert set(_scores(con, "fts_main_search_docs", "strasse finance")) == {"s001"}
    con.close()


def _newsroom(db: Path) -> None:
    """Originals about the sea, Kenya and Chile; a copy under another site's headline; a seed."""
    con = connect(db)
    arts = [
        make_article("sea", "The fleet left the Black Sea at dawn.", NOW, title="Fleet moves"),
        make_article("mix", "Black clouds over the sea of grass.", NOW, title="Weather"),
        make_article("ke", "Kenya opened a new railway line.", NOW, title="Rail in Kenya"),
        make_article("cl", "Chile elected a new president.", NOW, title="Chile votes"),
        make_article("both", "Kenya and Chile signed a deal; Russia objected.", NOW, title="Deal"),
        make_article(
            "copy",
            "The fleet left the Black Sea at dawn.",
            NOW,
            title="Kyiv watches the fleet",
            duplicate_of="sea",
        ),
        make_article(
            "seed0",
            "A seed text about the Black Sea grain corridor.",
            NOW,
            source="seed",
            title="Seed story",
        ),
    ]
    store.store_batch(con, arts, [], [])
    assert update_fts_index(con) is None
    con.close()


def _found(db: Path, query: str, capsys: Any) -> list[dict[str, Any]]:
    assert main(["search", query, "--db", str(db), "--format", "json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]


def test_phrases_or_and_not(tmp_path: Path, capsys: Any) -> None:
    db = tmp_path / "w.duckdb"
    _newsroom(db)
    assert {r["article_id"] for r in _found(db, '"Black Sea"', capsys)} == {"sea", "seed0"}
    assert {r["article_id"] for r in _found(db, "black sea", capsys)} == {"sea", "mix", "seed0"}
    assert {r["article_id"] for r in _found(db, "Kenya OR Chile", capsys)} == {"ke", "cl", "both"}
    assert {r["article_id"] for r in _found(db, "Kenya OR Chile -Russia", capsys)} == {"ke", "cl"}
    assert {r["article_id"] for r in _found(db, 'Kenya -"new railway"', capsys)} == {"both"}


def test_a_copys_headline_leads_to_its_original_and_seeds_are_marked(
    tmp_path: Path, capsys: Any
) -> None:
    db = tmp_path / "w.duckdb"
    _newsroom(db)
    (row,) = _found(db, "Kyiv", capsys)
    assert row["article_id"] == "sea" and row["snippet"] == "copy: Kyiv watches the fleet"
    rows = {r["article_id"]: r for r in _found(db, '"Black Sea"', capsys)}
    assert rows["seed0"]["kind"] == "seed" and rows["sea"]["kind"] == "article"


def test_every_row_has_a_snippet_of_the_matched_words_and_a_rounded_score(
    tmp_path: Path, capsys: Any
) -> None:
    db = tmp_path / "w.duckdb"
    _newsroom(db)
    for row in _found(db, "Kenya OR Chile", capsys):
        assert "kenya" in row["snippet"].lower() or "chile" in row["snippet"].lower()
        assert row["score"] == round(row["score"], 3)
    assert main(["search", '"Black Sea"', "--db", str(db), "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.endswith("kind,snippet")


def test_the_query_means_the_same_without_the_extension(
    tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    db = tmp_path / "w.duckdb"
    _newsroom(db)
    monkeypatch.setenv("NEWSDESK_FTS_EXTENSION", str(tmp_path / "nowhere" / "fts.duckdb_extension"))
    assert {r["article_id"] for r in _found(db, '"Black Sea"', capsys)} == {"sea", "seed0"}
    assert {r["article_id"] for r in _found(db, "Kenya OR Chile -Russia", capsys)} == {"ke", "cl"}
    assert [r["article_id"] for r in _found(db, "Kyiv", capsys)] == ["sea"]
