import re
from datetime import UTC, date, datetime
from pathlib import Path

from conftest import make_article, make_mention

from cli.main import main
from ingest.models import Alert, CountryMention, FeedSpec
from warehouse import store
from warehouse.db import connect


def test_report_renders_html_and_png_from_a_warehouse(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.duckdb"
    con = connect(db)
    today = datetime.now(UTC)
    arts = [
        make_article(
            f"a{i}",
            "Kenya and Tanzania signed.",
            today,
            url=f"https://news.example/{i}",
            canonical_url=f"https://news.example/{i}",
            title=f"Rail deal {i}",
            site_name="Harbor Daily",
            published_at=today,
            content_hash=f"h{i}",
        )
        for i in range(3)
    ]
    copy = make_article(
        "c",
        "Kenya and Tanzania signed.",
        today,
        url="https://other.example/c",
        canonical_url="https://other.example/c",
        site_name="Evening Courier",
        content_hash="h0",
        duplicate_of="a0",
        similarity=1.0,
        dup_method="exact",
    )
    mentions = [
        CountryMention(
            article_id=f"a{i}",
            country_code=c,
            country_name=n,
            mentions=1,
            first_offset=0,
            snippet=f"{n} signed",
        )
        for i in range(3)
        for c, n in (("KE", "Kenya"), ("TZ", "Tanzania"))
    ]
    alert = Alert(
        alert_id="k",
        country_code="KE",
        country_name="Kenya",
        article_id="a0",
        raised_at=today,
        run_id="r",
    )
    store.store_batch(con, [*arts, copy], mentions, [alert])
    store.register_feeds(con, [FeedSpec(url="https://news.example/rss", name="Harbor Daily")])
    for run, overflowed, missed, recovered in (("r1", False, None, 0), ("r2", True, 20, 15)):
        con.execute(
            "INSERT INTO runs (run_id, started_at, status) VALUES (?, ?, 'completed')", [run, today]
        )
        con.execute(
            "INSERT INTO run_feeds (run_id, feed_url, name, status, entries_seen, new_entries,"
            " overflowed, missed_estimate, recovered) VALUES (?, ?, 'Harbor Daily', 'ok', 10, 10,"
            " ?, ?, ?)",
            [run, "https://news.example/rss", overflowed, missed, recovered],
        )
    con.close()
    out = tmp_path / "report"
    assert main(["report", "--days", "7", "--out", str(out), "--db", str(db)]) == 0
    assert "report.html" in capsys.readouterr().out
    page = (out / "report.html").read_text()
    png = (out / "countries.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert "data:image/png;base64," in page
    assert "<b>Kenya</b> (KE)" in page and "Rail deal 0" in page
    assert "Most mentioned: Kenya (3), Tanzania (3)" in page
    assert "Evening Courier" in page
    assert "<script" not in page and "<link" not in page and 'src="http' not in page
    assert f"to {today:%Y-%m-%d}" in page
    # Coverage per feed over the period: 20 new, 1 rollover, 15 recovered, about 5 missed.
    assert "<td>20</td><td>1</td><td>15</td><td>5</td><td>nightly</td>" in page


def test_the_report_shows_attention_as_shares_on_a_map_and_sorts_feeds_by_need(
    tmp_path: Path,
) -> None:
    from warehouse.report import build_report

    db = tmp_path / "w.duckdb"
    con = connect(db)
    day = datetime(2026, 11, 20, 9, tzinfo=UTC)
    arts = [
        make_article(
            f"k{i}",
            "Kenya news.",
            day,
            title=f"Kenya {i}",
            published_at=day,
            site_name="Harbor Daily",
            language="en",
        )
        for i in range(3)
    ] + [
        make_article(
            "q",
            "Other news.",
            day,
            title="Quiet",
            published_at=day,
            site_name="Abendkurier",
            language="de",
        )
    ]
    copy = make_article(
        "c",
        "Kenya news.",
        day,
        title="Copy",
        duplicate_of="k0",
        site_name="Evening Courier",
        content_hash="hk0",
    )
    mentions = [make_mention(f"k{i}", "KE", "Kenya", "Kenya news.") for i in range(3)]
    store.store_batch(con, [*arts, copy], mentions, [])
    store.register_feeds(
        con, [FeedSpec(url=f"https://f.example/{n}", name=f"Feed {n}") for n in (10, 2, 1, 3)]
    )
    con.execute("UPDATE feeds SET consecutive_failures = 2 WHERE name = 'Feed 3'")
    html_path, _png = build_report(con, 14, tmp_path / "out", date(2026, 11, 28))
    con.close()
    page = html_path.read_text()
    # 3 of the period's 4 originals mention Kenya: shaded as 75 %, with a tooltip.
    assert '<g data-country="KE" fill="#08519c"><title>Kenya: 3 articles (75.0%)</title>' in page
    assert '<g data-country="CL" fill="#e6e6e6"><title>Chile: not mentioned</title>' in page
    assert page.count("data-country=") >= 150
    # The period's most syndicated story, linked; sources and languages counted.
    assert '<a href="https://x/k0">Kenya 0</a></td><td class="n">1</td>' in page
    assert '<td>Harbor Daily</td><td class="n">3</td>' in page
    assert '<td>de</td><td class="n">1</td>' in page
    # Failing first, then by name in natural order.
    names = re.findall(r"<tr><td>(Feed \d+)</td>", page)
    assert names == ["Feed 3", "Feed 1", "Feed 2", "Feed 10"]
