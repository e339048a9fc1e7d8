"""Behaviour pinned across refactors: real pages through the whole night.

The shared corpus's development pages are served behind RSS feeds by its own loopback server
(``serve_corpus.py``: 4 sites, 3 items each, with cross-listed and tracking-parameter duplicate
entries), and one nightly run stores them. What it stored (articles, duplicate groups, country
mentions, alerts, page failures), named by URL path, with text reduced to hashes, must equal
``tests/data/corpus_rows.json``, written by the code before the redesign of issue 18 and
rewritten when issue 19's recall fallback stored a page that had failed.

Which of two near-identical pages becomes the original depends on the order pages arrive in, so
duplicates are compared as groups. Skipped where ``../shared`` is absent. After a change meant
to alter what is stored, rewrite the file with ``WRITE_GOLDEN=1`` and say why in the
commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import SEEDS, SHARED

SERVER = SHARED / "corpus" / "serve_corpus.py"
GOLDEN = Path(__file__).parent / "data" / "corpus_rows.json"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not SERVER.is_file(), reason="../shared/corpus is not here"),
]


@pytest.fixture(scope="module")
def corpus_site() -> Iterator[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            str(SERVER),
            "--port",
            "0",
            "--host",
            "127.0.0.1",
            "--sites",
            "4",
            "--initial-items",
            "3",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = json.loads(proc.stdout.readline())["port"]
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _digest(text: str | None) -> str:
    return hashlib.sha256((text or "").encode()).hexdigest()[:16]


def stored_rows(db: Path, base: str) -> dict[str, Any]:
    """What the run stored, in terms that depend on neither the run, the port nor the order
    in which pages arrived."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        path = {
            aid: url.removeprefix(base)
            for aid, url in con.execute("SELECT article_id, canonical_url FROM articles").fetchall()
        }
        articles = sorted(
            [path[aid], source, chash, lang, _digest(title), len(text)]
            for aid, source, chash, lang, title, text in con.execute(
                "SELECT article_id, source, content_hash, language, title, text FROM articles"
            ).fetchall()
        )
        groups: dict[str, set[str]] = {}
        for aid, original in con.execute(
            "SELECT article_id, coalesce(duplicate_of, article_id) FROM articles"
        ).fetchall():
            groups.setdefault(original, set()).add(path[aid])
        mentions = sorted(
            [path[aid], code, count, offset]
            for aid, code, count, offset in con.execute(
                "SELECT article_id, country_code, mentions, first_offset FROM country_mentions"
            ).fetchall()
        )
        alerts = sorted(r[0] for r in con.execute("SELECT country_code FROM alerts").fetchall())
        failures = sorted(
            [url.removeprefix(base), status or 0, stage]
            for url, status, stage in con.execute(
                "SELECT DISTINCT url, status, stage FROM fetch_log WHERE kind = 'page' AND "
                "error IS NOT NULL"
            ).fetchall()
        )
    finally:
        con.close()
    return {
        "articles": articles,
        "duplicate_groups": sorted(sorted(g) for g in groups.values() if len(g) > 1),
        "mentions": mentions,
        "alerts": alerts,
        "failures": failures,
    }


def test_the_corpus_night_stores_what_it_stored_before_the_redesign(
    prefect_server: str, corpus_site: str, tmp_path: Path
) -> None:
    from flows.nightly import nightly

    feeds = tmp_path / "feeds.toml"
    feeds.write_text(
        "".join(
            f'[[feeds]]\nurl = "{corpus_site}/site-{k}/rss.xml"\nname = "Site {k}"\n'
            for k in range(4)
        )
    )
    db = tmp_path / "w.duckdb"
    nightly(feeds_file=str(feeds), db_path=str(db), seeds_dir=str(SEEDS), allow_hosts=["127.0.0.1"])
    rows = stored_rows(db, corpus_site)
    if os.environ.get("WRITE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(rows, indent=0, ensure_ascii=False) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert len(rows["articles"]) > 10 and rows["mentions"] and rows["alerts"]
    for part in golden:
        assert rows[part] == golden[part], part
