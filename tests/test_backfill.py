"""URLs found outside feeds: lists and sitemaps through the same stages."""

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import SEEDS

from flows.demo import SITE_DIR, serve_site
from ingest.sitemaps import parse_sitemap
from ingest.url_lists import read_url_list

SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{base}/courier/world/iceland-geothermal.html</loc></url>
  <url><loc>{base}/harbor/2026/11/copper-output.html</loc></url>
</urlset>"""
INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{base}/sitemap-news.xml</loc></sitemap>
  <sitemap><loc>{base}/sitemap-missing.xml</loc></sitemap>
</sitemapindex>"""


def test_url_list_skips_comments_and_names_bad_lines() -> None:
    urls, rejected = read_url_list(
        "# picked by hand\nhttps://a.example/x\n\nftp://b/y\nnot a url\n"
    )
    assert urls == ["https://a.example/x"]
    assert [r.split(":")[0] for r in rejected] == ["line 4", "line 5"]


def test_sitemap_parsing() -> None:
    found = parse_sitemap(SITEMAP.format(base="https://s.example").encode())
    pages, children = [u.url for u in found.urls], found.children
    assert (
        pages
        == [
            "https://s.example/courier/world/iceland-geothermal.html",
            "https://s.example/harbor/2026/11/copper-output.html",
        ]
        and children == ()
    )
    found = parse_sitemap(INDEX.format(base="https://s.example").encode())
    assert found.urls == () and found.children[0] == "https://s.example/sitemap-news.xml"
    for bad, reason in (
        (b"<html><body/></html>", "not a sitemap"),
        (b"<urlset", "not valid XML"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><urlset/>', "DOCTYPE"),
    ):
        with pytest.raises(ValueError, match=reason):
            parse_sitemap(bad)


@pytest.mark.integration
def test_ingest_urls_from_a_list_and_a_sitemap(prefect_server: str, tmp_path: Path) -> None:
    from flows.ingest_urls import ingest_urls

    root = tmp_path / "site"
    shutil.copytree(SITE_DIR, root)
    db = tmp_path / "w.duckdb"
    with serve_site(root, port=0) as site:
        (root / "sitemap-news.xml").write_text(SITEMAP.format(base=site.url))
        (root / "sitemap.xml").write_text(INDEX.format(base=site.url))
        common = {"db_path": str(db), "seeds_dir": str(SEEDS), "allow_hosts": ["127.0.0.1"]}
        first = ingest_urls(
            urls=[
                f"{site.url}/harbor/2026/11/kenya-tanzania-rail.html",
                f"{site.url}/courier/world/deportee-talks.html",
                f"{site.url}/nowhere.html",
            ],
            source="urls:picked.txt",
            **common,
        )
        second = ingest_urls(sitemap=f"{site.url}/sitemap.xml", **common)
        again = ingest_urls(sitemap=f"{site.url}/sitemap.xml", **common)
    assert (first.new_entries, first.articles_stored, first.duplicates) == (3, 2, 1)
    assert first.pages_failed == 1 and first.new_countries == ["KE", "TZ"]
    assert (second.new_entries, second.articles_stored) == (2, 2)
    assert second.new_countries == ["CL", "IS", "NO", "PE"]
    assert (again.new_entries, again.articles_stored, again.alerts_raised) == (0, 0, 0)
    con = duckdb.connect(str(db), read_only=True)
    sources = con.execute(
        "SELECT DISTINCT feed_url FROM articles WHERE source = 'feed' ORDER BY 1"
    ).fetchall()
    runs = con.execute("SELECT status FROM runs").fetchall()
    missing = con.execute("SELECT status FROM fetch_log WHERE url LIKE '%nowhere%'").fetchall()
    con.close()
    assert sources == [(f"{site.url}/sitemap.xml",), ("urls:picked.txt",)]
    assert runs == [("completed",)] * 3 and missing == [(404,)]
