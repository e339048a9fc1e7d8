"""New-country alerts: policy, one digest per run and channel, delivered exactly once."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import SEEDS, make_article
from pytest_httpserver import HTTPServer

from flows.demo import Site, write_feed_list
from ingest.alerts import AlertPolicy, new_country_alerts
from ingest.models import CountryMention
from warehouse import store

NOW = datetime(2026, 11, 28, 2, tzinfo=UTC)
DEMO_NEW = ["AT", "CL", "FR", "IS", "KE", "NO", "PE", "TZ"]


def mention(code: str, article: str, mentions: int = 1, offset: int = 500) -> CountryMention:
    return CountryMention(
        article_id=article,
        country_code=code,
        country_name=code,
        mentions=mentions,
        first_offset=offset,
        snippet="",
    )


def article(i: str, title: str = "Harbour news", text: str = "First paragraph.\n" + "x" * 900):
    return make_article(i, text, NOW, title=title, content_hash=i)


def test_policy_min_mentions_unless_prominent() -> None:
    arts = {"a": article("a"), "b": article("b", title="Chile votes"), "c": article("c")}
    found = new_country_alerts(
        [
            mention("KE", "a"),
            mention("CL", "b"),
            mention("PE", "c", offset=3),
            mention("NO", "a", mentions=3),
        ],
        set(),
        "r1",
        NOW,
        arts,
        AlertPolicy(min_mentions=2),
    )
    assert [a.country_code for a in found] == ["CL", "NO", "PE"]


def test_known_and_seed_countries_never_alert() -> None:
    found = new_country_alerts(
        [mention("UA", "a"), mention("KE", "a"), mention("KE", "b")], {"UA"}, "r1", NOW
    )
    assert [(a.country_code, a.article_id) for a in found] == [("KE", "a")]


def test_window_baseline_forgets_old_mentions(db: duckdb.DuckDBPyConnection) -> None:
    old = article("old").model_copy(update={"fetched_at": NOW - timedelta(days=40)})
    seed = article("seed").model_copy(
        update={"source": "seed", "fetched_at": NOW - timedelta(days=90)}
    )
    store.store_batch(db, [old, seed], [mention("KE", "old"), mention("UA", "seed")], [])
    assert store.known_countries(db) == {"KE", "UA"}
    assert store.known_countries(db, NOW - timedelta(days=30)) == {"UA"}


def run(feeds: Path, db: Path):
    from flows.nightly import nightly

    return nightly(
        feeds_file=str(feeds),
        db_path=str(db),
        seeds_dir=str(SEEDS),
        allow_hosts=["127.0.0.1", "localhost"],
    )


@pytest.mark.integration
def test_failing_channel_is_retried_alone_and_never_resends(
    prefect_server: str, demo_site: Site, tmp_path: Path, httpserver: HTTPServer, monkeypatch
) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_json({"ok": True})
    good = f"json://localhost:{httpserver.port}/hook"
    monkeypatch.setenv("NEWSDESK_ALERT_URLS", f"{good},json://127.0.0.1:9/down")
    feeds = write_feed_list(demo_site.url, tmp_path / "feeds.toml")
    db = tmp_path / "w.duckdb"
    first = run(feeds, db)
    assert first.status == "completed" and first.alerts_raised == 8
    con = duckdb.connect(str(db), read_only=True)
    states = con.execute(
        "SELECT channel, status, count(*), max(attempts) FROM alert_deliveries "
        "GROUP BY ALL ORDER BY 1"
    ).fetchall()
    error = con.execute(
        "SELECT DISTINCT last_error FROM alert_deliveries WHERE status = 'failed'"
    ).fetchone()
    pending = con.execute("SELECT count(*) FROM alerts WHERE delivered_at IS NULL").fetchone()
    con.close()
    assert states == [("json://127.0.0.1", "failed", 8, 1), ("json://localhost", "delivered", 8, 1)]
    assert error[0] and "127.0.0.1" in error[0]
    assert pending == (8,)
    assert len(httpserver.log) == 1

    run(feeds, db)
    con = duckdb.connect(str(db), read_only=True)
    attempts = con.execute(
        "SELECT channel, max(attempts) FROM alert_deliveries GROUP BY 1 ORDER BY 1"
    ).fetchall()
    con.close()
    assert attempts == [("json://127.0.0.1", 2), ("json://localhost", 1)]
    assert len(httpserver.log) == 1


INJECTED_TITLES = [
    "Peru story ](http://evil.example/phish)",
    "Chile <script>alert(1)</script> vote",
    "[click me](javascript:alert(1)) Kenya",
    "Iceland **bold** _claim_ | table | `code` <img src=x onerror=alert(1)>",
]


def injected_digest(dialect: str = "markdown") -> str:
    from ingest.alerts import Digest, DigestEntry, render_digest

    countries = [("PE", "Peru"), ("CL", "Chile"), ("KE", "Kenya"), ("IS", "Iceland")]
    entries = [
        DigestEntry(
            title,
            f"https://news.example/{code}?a=(1)",
            "Site <i>",
            None,
            ((code, name),),
            f"{name} <b>snippet</b> ](x)",
        )
        for (code, name), title in zip(countries, INJECTED_TITLES, strict=True)
    ]
    entries.append(
        DigestEntry("Norway link", "javascript:alert(1)", None, None, (("NO", "Norway"),), "x")
    )
    return render_digest(Digest((*countries, ("NO", "Norway")), tuple(entries)), "d1", dialect)


def test_publisher_markup_reaches_a_json_webhook_as_text(httpserver: HTTPServer) -> None:
    from ingest.alerts import deliver

    httpserver.expect_request("/hook", method="POST").respond_with_json({"ok": True})
    assert deliver(f"json://127.0.0.1:{httpserver.port}/hook", "t", injected_digest(), "d1") is None
    ((request, _),) = httpserver.log
    message = request.get_json()["message"]
    assert "<script" not in message and "<img" not in message and "<b>" not in message
    assert "](http://evil" not in message and "](javascript:" not in message
    assert "](x)" not in message and "<i>" not in message
    links = [line.strip()[1:-1] for line in message.splitlines() if line.strip().startswith("<")]
    assert len(links) == 4 and all(u.startswith("https://news.example/") for u in links)
    assert "Norway link" in message  # a non-http(s) link keeps its text, loses its target


def test_publisher_markup_reaches_slack_as_text(httpserver: HTTPServer) -> None:
    """What Slack receives: Apprise's own Slack plugin, its webhook address pointed at a
    loopback server (Slack's host cannot be reached from here), renders the Markdown digest
    into Slack's mrkdwn; publisher text must stay text and every link an http(s) one."""
    import re

    import apprise

    from ingest.alerts import dialect_for

    url = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#news"
    assert dialect_for(url) == "slack"
    hook = "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazk"
    assert dialect_for(hook) == "slack"
    assert dialect_for("json://127.0.0.1/hook") == "markdown"
    httpserver.expect_request(
        "/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
    ).respond_with_data("ok")
    sender = apprise.Apprise()
    assert sender.add(url)
    sender[0].webhook_url = f"http://127.0.0.1:{httpserver.port}/services"
    assert sender.notify(
        title="t", body=injected_digest("slack"), body_format=apprise.NotifyFormat.MARKDOWN
    )
    ((request, _),) = httpserver.log
    payload = request.get_json()
    text = payload.get("text", "") + "".join(
        str(a.get("text", "")) for a in payload.get("attachments", [])
    )
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    # Slack links are <url|label>: every one goes to the publisher's https page.
    links = re.findall(r"<([^|>]+)\|", text)
    assert len(links) == 4 and all(u.startswith("https://news.example/") for u in links), links
    # A title's own "[click me](javascript:…)" is label text in mrkdwn, never a target.
    assert "<javascript:" not in text and "<http://evil" not in text
    assert "Norway link" in text
    # Escaped once: Slack shows the entity "&lt;b&gt;" as "<b>", never as "&lt;b&gt;".
    assert "&lt;b&gt;snippet&lt;/b&gt;" in text and "&amp;lt;" not in text


def test_publisher_markup_reaches_an_email_as_text(tmp_path: Path) -> None:
    import email

    from loopback import smtp_server

    from ingest.alerts import deliver

    with smtp_server() as (port, box):
        url = (
            f"mailto://127.0.0.1:{port}?from=newsdesk@example.com&to=desk@example.com&mode=insecure"
        )
        assert deliver(url, "t", injected_digest(), "d1") is None
    (raw,) = box.messages
    message = email.message_from_bytes(raw)
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    body = html.get_payload(decode=True).decode()
    assert "<script" not in body and "<img" not in body and "<b>" not in body
    hrefs = [part.split('"', 1)[0] for part in body.split('href="')[1:]]
    assert len(hrefs) == 4 and all(h.startswith("https://news.example/") for h in hrefs)
    assert "Peru story ](http://evil.example/phish)" in body  # shown as the text it was
    # The plain-text part keeps every link, each on its line (Apprise derives it from the HTML).
    plain = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    text = plain.get_payload(decode=True).decode()
    assert sum("https://news.example/" in line for line in text.splitlines()) == 4
