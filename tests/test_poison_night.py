"""A hostile publisher next to a good feed, through the whole nightly flow: every poison URL
is recorded with its reason, the good articles are stored, and the next night runs as well."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest
from conftest import SEEDS
from loopback import body, serve
from test_poison import redirect

from benchmarks.sites import zeros_gzip, zeros_zstd
from flows.demo import Site
from flows.nightly import nightly

pytestmark = pytest.mark.integration

REDIRECTS = {
    "/r/js": "javascript:alert(1)",
    "/r/data": "data:text/html,hi",
    "/r/mail": "mailto:a@b.example",
    "/r/about": "about:blank",
    "/r/backslash": "http:\\\\example.com/",
    "/r/hostless": "http:host",
}


def hostile_feed(base: str) -> bytes:
    port = base.rsplit(":", 1)[1]
    links = [f"{base}{path}" for path in REDIRECTS]
    links += [
        f"{base}/del\x7fete",
        f"{base}/{'a' * 70_000}",
        f"http://127.0.0.1:70000/{port}",
        f"{base}/bomb/zstd",
        f"{base}/bomb/gzgz",
    ]
    items = "".join(
        f"<item><title>t{i}</title><link>{u}</link></item>" for i, u in enumerate(links)
    )
    return f'<rss version="2.0"><channel><title>Hostile</title>{items}</channel></rss>'.encode()


def test_a_hostile_publisher_never_stops_a_night_nor_the_next(
    prefect_server: str, demo_site: Site, tmp_path: Path
) -> None:
    routes = {path: redirect(loc) for path, loc in REDIRECTS.items()}
    routes["/bomb/zstd"] = body(zeros_zstd(1024), headers={"Content-Encoding": "zstd"})
    routes["/bomb/gzgz"] = body(
        gzip.compress(zeros_gzip(1024)), headers={"Content-Encoding": "gzip, gzip"}
    )
    routes["/bomb.xml"] = body(zeros_zstd(1024), headers={"Content-Encoding": "zstd"})
    with serve(routes) as (base, stats):
        routes["/feed.xml"] = body(hostile_feed(base), headers={"Content-Type": "text/xml"})
        feeds = tmp_path / "feeds.toml"
        feeds.write_text(
            f'[[feeds]]\nurl = "{base}/feed.xml"\nname = "Hostile"\n'
            f'[[feeds]]\nurl = "{base}/bomb.xml"\nname = "Bomb"\n'
            f'[[feeds]]\nurl = "{demo_site.url}/harbor/rss.xml"\nname = "Harbor"\n'
        )
        db = tmp_path / "w.duckdb"

        def night():
            return nightly(
                feeds_file=str(feeds),
                db_path=str(db),
                seeds_dir=str(SEEDS),
                allow_hosts=["127.0.0.1"],
            )

        first = night()
        second = night()
    assert (first.status, second.status) == ("completed", "completed")
    assert first.articles_stored == 4 and first.feeds_failed == 1
    con = duckdb.connect(str(db), read_only=True)
    try:
        errors = dict(
            con.execute(
                "SELECT url, error FROM fetch_log WHERE kind = 'page' AND url LIKE ?", [f"{base}%"]
            ).fetchall()
        )
        # The first night's row: by when the run started (two nights can start within the
        # same second, and a run id orders by its random part after the second).
        dropped = con.execute(
            "SELECT f.entries_seen, f.entries_dropped FROM run_feeds f JOIN runs r USING"
            " (run_id) WHERE f.name = 'Hostile' ORDER BY r.started_at LIMIT 1"
        ).fetchone()
        bomb_feed = con.execute("SELECT last_error FROM feeds WHERE name = 'Bomb'").fetchone()
        queue = con.execute("SELECT count(*) FROM entry_queue").fetchone()
        harbor = con.execute(
            "SELECT count(*) FROM articles WHERE url LIKE '%/harbor/%' AND source = 'feed'"
        ).fetchone()
    finally:
        con.close()
    for path in REDIRECTS:
        assert errors[f"{base}{path}"].startswith("refused: redirect to"), path
    assert "not asked for" in errors[f"{base}/bomb/zstd"]
    assert "stacked content encodings" in errors[f"{base}/bomb/gzgz"]
    assert dropped == (8, 3)  # DEL, 70,000 characters, port 70000: never requested
    assert bomb_feed is not None and "not asked for" in bomb_feed[0]
    assert queue == (0,) and harbor == (4,)
    assert stats.hits["/r/js"] == 1  # the second night: the unchanged feed lists nothing new
