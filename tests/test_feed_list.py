from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, run_nightly

from flows.demo import Site
from ingest.errors import FeedListError
from ingest.feed_list import load_feed_list


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_default_feed_list_is_international() -> None:
    specs = load_feed_list(ROOT / "deployments" / "feeds.toml")
    assert len(specs) >= 10
    languages = {t for s in specs for t in s.tags if len(t) == 2}
    assert len(languages) >= 5
    assert all(s.url.startswith("https://") for s in specs)


def test_toml_feed_list(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "feeds.toml",
        '[[feeds]]\nurl = "https://a.example/rss"\nname = "A"\ntags = ["x"]\n'
        '[[feeds]]\nurl = "https://b.example/atom"\nname = "B"\n',
    )
    specs = load_feed_list(path)
    assert [(s.url, s.name, s.tags) for s in specs] == [
        ("https://a.example/rss", "A", ("x",)),
        ("https://b.example/atom", "B", ()),
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[[feeds]]\nname = "No URL"\n', "feeds entry #1 ('No URL'): field 'url'"),
        ('[[feeds]]\nurl = "https://a/rss"\n', "feeds entry #1: field 'name'"),
        ('[[feeds]]\nurl = "ftp://a/rss"\nname = "F"\n', "field 'url': not an http(s) URL"),
        ('[[feeds]]\nurl = "https://a/rss"\nname = "T"\ntags = "x"\n', "field 'tags'"),
        ('[[feeds]]\nurl = "https://a/rss"\nname = "U"\ncolour = 1\n', "unknown field 'colour'"),
        ('[[feeds]]\nurl = "https://a/rss"\nname = ""\n', "field 'name'"),
        (
            '[[feeds]]\nurl = "https://a/rss"\nname = "A"\n[[feeds]]\nurl = "https://a/rss"\n'
            'name = "B"\n',
            "feeds entry #2 ('B'): field 'url': duplicate",
        ),
        (
            '[[feeds]]\nurl = "https://a/rss"\nname = "S"\nsitemap = "file:///etc/passwd"\n',
            "field 'sitemap': not an http(s) URL",
        ),
        (
            '[[feeds]]\nurl = "https://a/rss"\nname = "S"\nsitemap_filter = "world"\n',
            "field 'sitemap_filter': a URL path prefix starting with '/'",
        ),
        ("feeds = 3\n", "expected [[feeds]] tables"),
        ("[[feeds]\n", "not valid TOML"),
    ],
)
def test_invalid_entry_names_entry_and_field(tmp_path: Path, body: str, expected: str) -> None:
    path = write(tmp_path, "feeds.toml", body)
    with pytest.raises(FeedListError) as err:
        load_feed_list(path)
    assert expected in str(err.value)
    assert str(path) in str(err.value)


def test_opml_feed_list_with_folders(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "subscriptions.opml",
        """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="World">
    <outline type="rss" text="Alpha" title="Alpha News" xmlUrl="https://alpha.example/rss"/>
  </outline>
  <outline type="rss" text="Beta" xmlUrl="https://beta.example/feed.xml"/>
</body></opml>""",
    )
    specs = load_feed_list(path)
    assert [(s.url, s.name, s.tags) for s in specs] == [
        ("https://alpha.example/rss", "Alpha News", ("World",)),
        ("https://beta.example/feed.xml", "Beta", ()),
    ]


def test_opml_invalid_entry(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.opml",
        '<opml version="2.0"><body><outline text="X" xmlUrl="javascript:alert(1)"/></body></opml>',
    )
    with pytest.raises(FeedListError, match=r"outline #1 \('X'\): field 'url'"):
        load_feed_list(path)


@pytest.mark.parametrize(
    "declaration",
    [
        '<!DOCTYPE x [<!ENTITY a "aaaa">]>',
        '<!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>',
    ],
)
def test_opml_with_entities_is_refused(tmp_path: Path, declaration: str) -> None:
    path = write(
        tmp_path,
        "evil.opml",
        f'<?xml version="1.0"?>{declaration}<opml><body>'
        '<outline text="A" xmlUrl="https://a.example/rss"/></body></opml>',
    )
    with pytest.raises(FeedListError, match="entities or external references"):
        load_feed_list(path)


FEEDLY = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE opml>
<opml version="1.0">
  <head><title>Subscriptions in Feedly</title></head>
  <body>
    <outline text="World" title="World">
      <outline type="rss" text="Harbor Daily" title="Harbor Daily" xmlUrl="{harbor}"
               htmlUrl="{base}/harbor/"/>
      <outline type="rss" text="Evening Courier" title="Evening Courier" xmlUrl="{courier}"/>
    </outline>
    <outline text="Africa" title="Africa">
      <outline type="rss" text="Harbor Daily" title="Harbor Daily" xmlUrl="{harbor_again}"/>
    </outline>
  </body>
</opml>
"""


def feedly_export(base: str) -> str:
    """A reader's export: a DOCTYPE, one feed filed in two folders (the second time with its
    host in capitals and a trailing slash)."""
    host = base.removeprefix("http://")
    return FEEDLY.format(
        base=base,
        harbor=f"{base}/harbor/rss.xml",
        courier=f"{base}/courier/atom.xml",
        harbor_again=f"http://{host.upper()}/harbor/rss.xml/",
    )


def test_a_feed_in_two_folders_is_one_feed_with_both_tags(tmp_path: Path) -> None:
    path = write(tmp_path, "feedly.opml", feedly_export("http://news.example"))
    specs = load_feed_list(path)
    assert [(s.url, s.name, s.tags) for s in specs] == [
        ("http://news.example/harbor/rss.xml", "Harbor Daily", ("World", "Africa")),
        ("http://news.example/courier/atom.xml", "Evening Courier", ("World",)),
    ]


def test_toml_lists_a_feed_once_whatever_its_host_case_or_trailing_slash(tmp_path: Path) -> None:
    body = (
        '[[feeds]]\nurl = "https://a.example/rss"\nname = "A"\n'
        '[[feeds]]\nurl = "https://A.example/rss/"\nname = "B"\n'
    )
    with pytest.raises(FeedListError, match=r"duplicate feed https://A\.example/rss/ \(listed as"):
        load_feed_list(write(tmp_path, "feeds.toml", body))


@pytest.mark.integration
def test_a_feedly_export_is_read_and_its_articles_stored(
    prefect_server: str, demo_site: Site, tmp_path: Path
) -> None:
    feeds = write(tmp_path, "feedly.opml", feedly_export(demo_site.url))
    db = tmp_path / "w.duckdb"
    summary = run_nightly(feeds, db)
    assert summary.status == "completed" and summary.articles_stored == 7  # as from feeds.toml
    con = duckdb.connect(str(db), read_only=True)
    tags = con.execute("SELECT name, tags FROM feeds ORDER BY name").fetchall()
    con.close()
    assert tags == [("Evening Courier", ["World"]), ("Harbor Daily", ["World", "Africa"])]


def test_missing_or_empty_feed_list(tmp_path: Path) -> None:
    with pytest.raises(FeedListError, match="not found"):
        load_feed_list(tmp_path / "none.toml")
    with pytest.raises(FeedListError, match="no feeds listed"):
        load_feed_list(write(tmp_path, "empty.toml", "feeds = []\n"))


def test_a_feed_may_name_its_news_sitemap_and_section_in_toml_or_opml(tmp_path: Path) -> None:
    toml = write(
        tmp_path,
        "feeds.toml",
        '[[feeds]]\nurl = "https://a.example/world/rss"\nname = "World"\n'
        'sitemap = "https://a.example/news.xml"\nsitemap_filter = "/world/"\n',
    )
    opml = write(
        tmp_path,
        "feeds.opml",
        '<opml version="2.0"><body><outline text="World" xmlUrl="https://a.example/world/rss"'
        ' sitemap="https://a.example/news.xml" sitemap_filter="/world/"/></body></opml>',
    )
    for path in (toml, opml):
        (spec,) = load_feed_list(path)
        assert (spec.sitemap, spec.sitemap_filter) == ("https://a.example/news.xml", "/world/")
