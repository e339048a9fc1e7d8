"""The near-duplicate index: each original's band keys (``dedupe_docs``, ``dedupe_index``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb

from warehouse.store.bulk import IN_KEYS, as_list, lookup


def index_fingerprints(
    con: duckdb.DuckDBPyConnection, items: Sequence[tuple[str, Sequence[int]]], version: int = 1
) -> None:
    """Add originals' band keys to the near-duplicate index (skipping ones already indexed)."""
    if not items:
        return
    ids = [article_id for article_id, _ in items]
    present = {
        r[0]
        for r in con.execute(
            "SELECT article_id FROM dedupe_docs"
            " WHERE article_id IN (SELECT unnest(?::JSON::VARCHAR[]))",
            [as_list(ids)],
        ).fetchall()
    }
    todo = [(a, keys) for a, keys in items if a not in present]
    if not todo:
        return
    row = con.execute("SELECT nextval('dedupe_seq') FROM range(?)", [len(todo)]).fetchall()
    seqs = [int(r[0]) for r in row]
    con.execute(
        "INSERT INTO dedupe_docs SELECT unnest(?::JSON::UINTEGER[]), unnest(?::JSON::VARCHAR[]), ?",
        [as_list(seqs), as_list(a for a, _ in todo), version],
    )
    keys = [k for _, ks in todo for k in ks]
    owners = [seq for seq, (_, ks) in zip(seqs, todo, strict=True) for _ in ks]
    con.execute(
        "INSERT INTO dedupe_index SELECT unnest(?::JSON::UINTEGER[]), unnest(?::JSON::UINTEGER[])",
        [as_list(keys), as_list(owners)],
    )


def drop_stale_fingerprints(
    con: duckdb.DuckDBPyConnection, version: int, everything: bool = False
) -> None:
    """Forget index entries of another index scheme (``everything``: all of them)."""
    if everything:
        con.execute("DELETE FROM dedupe_index")
        con.execute("DELETE FROM dedupe_docs")
        return
    con.execute(
        "DELETE FROM dedupe_index WHERE article_seq IN (SELECT article_seq FROM dedupe_docs"
        " WHERE index_version <> ?)",
        [version],
    )
    con.execute("DELETE FROM dedupe_docs WHERE index_version <> ?", [version])


def unindexed_originals(con: duckdb.DuckDBPyConnection, limit: int) -> list[tuple[str, str]]:
    """Up to ``limit`` originals (id, text) the near-duplicate index lacks.

    Their ids first, then the texts of those alone: one query reading the text column
    brought every stored text into DuckDB's memory at the start of each run, to find none
    missing (78 MB of the flow process's peak at 10,000 stored articles)."""
    ids = [
        str(r[0])
        for r in con.execute(
            "SELECT article_id FROM articles a WHERE duplicate_of IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM dedupe_docs d WHERE d.article_id = a.article_id) LIMIT ?",
            [limit],
        ).fetchall()
    ]
    rows = lookup(con, f"SELECT article_id, text FROM articles WHERE article_id {IN_KEYS}", ids)
    return [(str(aid), str(text)) for aid, text in rows]


def drop_fingerprints(con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> None:
    con.execute(
        "DELETE FROM dedupe_index WHERE article_seq IN (SELECT article_seq FROM dedupe_docs "
        "WHERE article_id IN (SELECT unnest(?::JSON::VARCHAR[])))",
        [as_list(article_ids)],
    )
    con.execute(
        "DELETE FROM dedupe_docs WHERE article_id IN (SELECT unnest(?::JSON::VARCHAR[]))",
        [as_list(article_ids)],
    )


def near_candidates(
    con: duckdb.DuckDBPyConnection, keys: Mapping[str, Sequence[int]]
) -> dict[str, list[str]]:
    """Stored originals sharing at least one band key with each new article."""
    if not keys:
        return {}
    ids = [a for a, ks in keys.items() for _ in ks]
    flat = [k for ks in keys.values() for k in ks]
    rows = con.execute(
        """
        SELECT DISTINCT q.aid, d.article_id
        FROM (SELECT unnest(?::JSON::VARCHAR[]) AS aid, unnest(?::JSON::UINTEGER[]) AS k) q
        JOIN dedupe_index i ON i.band_key = q.k
        JOIN dedupe_docs d USING (article_seq)
        """,
        [as_list(ids), as_list(flat)],
    ).fetchall()
    out: dict[str, list[str]] = {}
    for aid, cid in rows:
        out.setdefault(aid, []).append(cid)
    return out


def index_stats(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(indexed articles, band rows)."""
    docs = con.execute("SELECT count(*) FROM dedupe_docs").fetchone()
    rows = con.execute("SELECT count(*) FROM dedupe_index").fetchone()
    return (int(docs[0]) if docs else 0, int(rows[0]) if rows else 0)
