"""The newsdesk command: help texts, errors with exit codes, countries, query, and the demo."""

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS, make_article

from cli.commands import COMMANDS
from cli.main import main, parser
from flows.demo import Site

SEED = SEEDS / "000_d5e3e44abf298f38.txt"


def commands() -> list[str]:
    return sorted(c.name for c in COMMANDS)


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help(command: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: newsdesk {command}" in out and len(out.splitlines()) > 3


def test_countries_on_the_seed(capsys) -> None:
    assert main(["countries", str(SEED)]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["source"] == str(SEED)
    assert {c["code"] for c in line["countries"]} == {
        "US",
        "UA",
        "RU",
        "SV",
        "CR",
        "GT",
        "PA",
        "RW",
        "CD",
        "LY",
    }
    assert {"code": "UA", "name": "Ukraine", "mentions": 9} in line["countries"]


def test_countries_from_stdin(monkeypatch, capsys) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("Chile and Peru signed."))
    assert main(["countries"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["source"] == "<stdin>"
    assert [c["code"] for c in line["countries"]] == ["CL", "PE"]


def test_run_with_bad_feeds_file_exits_2(tmp_path: Path, capsys) -> None:
    feeds = tmp_path / "feeds.toml"
    feeds.write_text('[[feeds]]\nname = "Nameless"\n')
    code = main(["run", "--feeds", str(feeds), "--db", str(tmp_path / "w.duckdb")])
    assert code == 2
    err = capsys.readouterr().err
    assert "feeds entry #1 ('Nameless'): field 'url'" in err


def test_run_with_bad_seed_exits_2(tmp_path: Path, capsys) -> None:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "001_x.txt").write_text("no date line\n")
    feeds = ROOT / "deployments" / "feeds.toml"
    code = main(
        [
            "run",
            "--feeds",
            str(feeds),
            "--seeds",
            str(tmp_path / "seeds"),
            "--db",
            str(tmp_path / "w.duckdb"),
        ]
    )
    assert code == 2
    assert "seed 001_x.txt: first line must be" in capsys.readouterr().err


def test_run_with_unusable_database_exits_2(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.duckdb"
    db.write_text("not a database")
    code = main(["run", "--db", str(db)])
    assert code == 2
    assert "cannot open warehouse" in capsys.readouterr().err
    assert db.read_text() == "not a database"


def test_query_formats(tmp_path: Path, capsys) -> None:
    from warehouse.db import connect

    db = tmp_path / "w.duckdb"
    connect(db).close()
    assert main(["query", "--db", str(db), "SELECT 1 AS a, 'x' AS b"]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == ["a", "b"]
    assert main(["query", "--db", str(db), "--format", "csv", "SELECT 1 AS a, 'x' AS b"]) == 0
    assert capsys.readouterr().out == "a,b\n1,x\n"
    assert main(["query", "--db", str(db), "--format", "json", "SELECT 1 AS a"]) == 0
    assert json.loads(capsys.readouterr().out) == {"a": 1}
    assert main(["query", "--db", str(db), "DELETE FROM articles"]) == 1
    assert "read-only" in capsys.readouterr().err


@pytest.fixture(scope="module")
def sandboxed_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One warehouse and snapshot for every statement below: each must leave both as they
    were, so they can share them."""
    from warehouse import snapshot
    from warehouse.db import connect

    db = tmp_path_factory.mktemp("sandbox") / "w.duckdb"
    con = connect(db)
    con.execute("CREATE TABLE notes AS SELECT 42 AS answer")
    con.close()
    snapshot.publish(db)
    return db


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT 'x') TO '{db}'",
        "COPY (SELECT 'x') TO '{db}.snapshot' (FORMAT csv)",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "ATTACH '{tmp}/other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET custom_extension_repository = 'http://127.0.0.1:9/'",
        "SET enable_external_access = true",
        "EXPORT DATABASE '{tmp}/dump'",
    ],
)
def test_query_reads_the_warehouse_and_nothing_else(
    sandboxed_warehouse: Path, capsys, sql: str
) -> None:
    from warehouse import snapshot

    db = sandboxed_warehouse
    tmp_path = db.parent
    before = (db.read_bytes(), snapshot.snapshot_path(db).read_bytes())
    statement = sql.format(db=db, tmp=tmp_path)
    assert main(["query", "--db", str(db), statement]) == 1
    err = capsys.readouterr().err
    assert err.startswith("newsdesk: query failed:") and len(err.splitlines()) >= 1
    assert (db.read_bytes(), snapshot.snapshot_path(db).read_bytes()) == before
    assert not (tmp_path / "other.duckdb").exists() and not (tmp_path / "dump").exists()
    assert main(["query", "--db", str(db), "--format", "csv", "SELECT answer FROM notes"]) == 0
    assert capsys.readouterr().out == "answer\n42\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.background("demo")
def test_demo_command_in_ephemeral_mode_has_clean_logs() -> None:
    """The README's first command, as a user runs it: its own process and Prefect home
    (started at collection by conftest so that it overlaps the rest of the suite)."""
    from conftest import BACKGROUND

    job = BACKGROUND["demo"]
    code, stdout, stderr = job.result()
    tmp_path = job.cwd
    db = tmp_path / "demo.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSDESK_"))}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    newsdesk = [sys.executable, "-m", "cli"]

    proc = subprocess.CompletedProcess([], code, stdout, stderr)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Traceback" not in output
    assert "| ERROR" not in output and "ERROR |" not in output
    assert "articles   7 stored, 1 duplicates" in proc.stdout
    assert "alerts     8 raised: AT, CL, FR, IS, KE, NO, PE, TZ" in proc.stdout
    query = subprocess.run(
        [
            *newsdesk,
            "query",
            "--db",
            str(db),
            "--format",
            "csv",
            "select count(*) from articles where source = 'feed' and duplicate_of is null",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert query.returncode == 0 and query.stdout.splitlines()[1] == "6"


def test_feeds_command_lists_health_failing_first(tmp_path: Path, capsys) -> None:
    from datetime import UTC, datetime

    from ingest.feed_schedule import apply_outcome
    from ingest.models import FeedOutcome, FeedSpec
    from warehouse import store
    from warehouse.db import connect

    db = tmp_path / "w.duckdb"
    con = connect(db)
    store.register_feeds(
        con,
        [
            FeedSpec(url="https://a.example/rss", name="Alpha"),
            FeedSpec(url="https://b.example/rss", name="Beta"),
        ],
    )
    now = datetime(2026, 11, 28, tzinfo=UTC)
    ok = FeedOutcome(feed_url="https://a.example/rss", name="Alpha", status="ok", entries_seen=12)
    bad = FeedOutcome(
        feed_url="https://b.example/rss",
        name="Beta",
        status="error",
        error="HTTP 410",
        http_status=410,
    )
    store.record_feed_outcomes(
        con,
        [(ok, apply_outcome(None, ok, now, 3), 4), (bad, apply_outcome(None, bad, now, 3), 0)],
        now,
    )
    con.close()
    assert main(["feeds", "--db", str(db), "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["name"] for r in rows] == ["Beta", "Alpha"]
    assert rows[0]["status"] == "error" and rows[0]["error"] == "HTTP 410"
    assert rows[0]["failures"] == 1
    assert rows[1]["entries"] == 12 and rows[1]["new"] == 4


def test_dedupe_index_command_rebuilds_from_articles(tmp_path: Path, capsys) -> None:
    from datetime import UTC, datetime

    from warehouse.db import connect
    from warehouse.store import index_stats

    db = tmp_path / "w.duckdb"
    con = connect(db)
    now = datetime(2026, 11, 28, tzinfo=UTC)
    for i in range(3):
        con.execute(
            "INSERT INTO articles (article_id, source, url, canonical_url, fetched_at, text,"
            " content_hash) VALUES (?, 'feed', ?, ?, ?, ?, ?)",
            [
                f"a{i}",
                f"https://x/{i}",
                f"https://x/{i}",
                now,
                f"Story number {i} about the harbour and the council meeting. " * 20,
                f"h{i}",
            ],
        )
    con.close()
    assert main(["dedupe-index", "--db", str(db)]) == 0
    assert "3 originals indexed now; 3 in all, 120 band keys" in capsys.readouterr().out
    assert main(["dedupe-index", "--db", str(db)]) == 0
    assert "0 originals indexed now; 3 in all" in capsys.readouterr().out
    assert main(["dedupe-index", "--db", str(db), "--rebuild"]) == 0
    assert "3 originals indexed now" in capsys.readouterr().out
    con = connect(db)
    assert index_stats(con) == (3, 120)
    con.close()


def test_export_parquet_reads_back_with_same_counts(tmp_path: Path, capsys) -> None:
    from datetime import UTC, datetime

    import duckdb

    from ingest.models import Alert, CountryMention
    from warehouse import store
    from warehouse.db import connect

    db = tmp_path / "w.duckdb"
    con = connect(db)
    arts = [
        make_article(
            f"a{i}", f"text {i}", datetime(2026, 11, 20 + i, 3, tzinfo=UTC), content_hash=f"h{i}"
        )
        for i in range(3)
    ]
    mentions = [
        CountryMention(
            article_id=f"a{i}",
            country_code="KE",
            country_name="Kenya",
            mentions=1,
            first_offset=0,
            snippet="",
        )
        for i in range(3)
    ]
    alert = Alert(
        alert_id="x",
        country_code="KE",
        country_name="Kenya",
        article_id="a0",
        raised_at=datetime(2026, 11, 20, 3, tzinfo=UTC),
        run_id="r",
    )
    store.store_batch(con, arts, mentions, [alert])
    con.close()
    out = tmp_path / "lake"
    assert main(["export", str(out), "--since", "2026-11-21", "--db", str(db)]) == 0
    assert "articles: 2 rows, country_mentions: 2 rows, alerts: 0 rows" in capsys.readouterr().out
    assert main(["export", str(out), "--db", str(db)]) == 0
    capsys.readouterr()
    read = duckdb.connect()
    for table, rows in (("articles", 3), ("country_mentions", 3), ("alerts", 1)):
        got = read.execute(
            f"SELECT count(*) FROM read_parquet('{out}/{table}/**/*.parquet', "
            "hive_partitioning = true)"
        ).fetchone()
        assert got == (rows,)
    days = read.execute(
        f"SELECT DISTINCT day FROM read_parquet('{out}/articles/**/*.parquet', "
        "hive_partitioning = true) ORDER BY 1"
    ).fetchall()
    assert days == [(20,), (21,), (22,)]


def test_runs_started_by_the_command_have_no_heartbeat_thread() -> None:
    """The heartbeat thread only delayed the end of each run (by up to 1 s); deployment runs,
    which do not go through the command's ``prefect_run``, keep Prefect's default."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    from flows.environment import prefect_run

    assert get_current_settings().flows.heartbeat_frequency == 180
    with temporary_settings(updates={PREFECT_API_URL: None}), prefect_run():
        assert get_current_settings().flows.heartbeat_frequency is None
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:4200/api"}), prefect_run():
        assert get_current_settings().flows.heartbeat_frequency is None


def _commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


# The commands that read or maintain a warehouse, with the arguments they need besides --db.
ON_A_WAREHOUSE = {
    "query": ["SELECT 1"],
    "feeds": [],
    "status": [],
    "export": ["{tmp}/out"],
    "backup": ["{tmp}/backup"],
    "search": ["kenya"],
    "report": ["--out", "{tmp}/report"],
    "reextract": [],
    "dedupe-index": [],
}
# Commands that make the warehouse when it is missing, or use none.
MAKE_OR_NEED_NONE = {"run", "poll", "demo", "ingest-urls", "restore", "serve", "countries"}


def test_every_command_is_sorted_into_the_meta_tests() -> None:
    assert set(_commands()) == set(ON_A_WAREHOUSE) | MAKE_OR_NEED_NONE


@pytest.mark.parametrize("command", sorted(ON_A_WAREHOUSE))
def test_a_missing_warehouse_is_named_not_created(tmp_path: Path, capsys, command: str) -> None:
    db = tmp_path / "missing.duckdb"
    args = [a.format(tmp=tmp_path) for a in ON_A_WAREHOUSE[command]]
    assert main([command, *args, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "warehouse not found" in err and str(db) in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["query", ""], "SQL statement is empty"),
        (["query", "   "], "SQL statement is empty"),
        (["status", "--runs", "-1"], "--runs"),
        (["status", "--runs", "0"], "--runs"),
        (["search", "kenya", "--limit", "0"], "--limit"),
        (["report", "--days", "0"], "--days"),
        (["report", "--out", "/proc/nope/x"], "/proc/nope/x"),
        (["demo", "--port", "99999"], "--port 99999"),
        (["demo", "--port", "-1"], "--port -1"),
        (["export", "{tmp}/out", "--since", "yesterday"], "--since"),
        (["reextract", "--since", "soon"], "--since"),
        (["search", "kenya", "--since", "2026-13-01"], "--since"),
    ],
)
def test_bad_values_get_one_line_and_exit_2(
    tmp_path: Path, capsys, args: list[str], named: str
) -> None:
    from warehouse.db import connect

    db = tmp_path / "w.duckdb"
    connect(db).close()
    before = sorted(tmp_path.iterdir())
    code = main([*(a.format(tmp=tmp_path) for a in args), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and named in err, err
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.integration
def test_a_run_that_fetches_no_feed_exits_4_and_one_that_fetches_some_exits_0(
    prefect_server: str, demo_site: Site, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cron only sees the exit status: every due feed failing is a broken network or feed
    list, not a quiet night."""
    from loopback import body, serve

    monkeypatch.setenv("NEWSDESK_MAX_ATTEMPTS", "1")
    with serve({"/gone.xml": body(b"gone", status=410)}) as (base, _stats):
        feeds = tmp_path / "feeds.toml"
        feeds.write_text(
            f'[[feeds]]\nurl = "{base}/gone.xml"\nname = "Gone"\n'
            '[[feeds]]\nurl = "http://127.0.0.1:9/feed.xml"\nname = "Closed port"\n'
        )
        common = ["--db", str(tmp_path / "w.duckdb"), "--seeds", str(SEEDS)]
        code = main(["run", "--feeds", str(feeds), *common, "--allow-host", "127.0.0.1"])
        out, err = capsys.readouterr()
        assert code == 4, err
        assert "feeds      0 ok, 2 failed" in out
        assert err.strip().endswith(
            "no feed could be fetched (2 due, 2 failed): is the network down, or the feed "
            "list wrong?"
        )
        with feeds.open("a") as f:
            f.write(f'[[feeds]]\nurl = "{demo_site.url}/harbor/rss.xml"\nname = "Harbor"\n')
        code = main(["run", "--feeds", str(feeds), *common, "--allow-host", "127.0.0.1"])
        out, err = capsys.readouterr()
    assert code == 0, err
    assert "feeds      1 ok, 2 failed" in out and "no feed could be fetched" not in err


def test_an_alert_url_apprise_cannot_use_is_refused_before_the_run(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_ALERT_URLS", "json://127.0.0.1/hook,notascheme://foo")
    db = tmp_path / "w.duckdb"
    feeds = ROOT / "deployments" / "feeds.toml"
    assert main(["run", "--feeds", str(feeds), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a valid Apprise URL: notascheme://foo" in err
    assert not db.exists()


@pytest.mark.integration
def test_an_undelivered_digest_is_named_in_the_summary_and_in_status(
    prefect_server: str, demo_site: Site, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.demo import write_feed_list

    monkeypatch.setenv("NEWSDESK_ALERT_URLS", "json://127.0.0.1:9/hook")  # nothing listens
    db = tmp_path / "w.duckdb"
    feeds = write_feed_list(demo_site.url, tmp_path / "feeds.toml")
    args = ["--db", str(db), "--seeds", str(SEEDS), "--allow-host", "127.0.0.1"]
    assert main(["run", "--feeds", str(feeds), *args]) == 0
    out = capsys.readouterr().out
    (line,) = [ln for ln in out.splitlines() if "not delivered" in ln]
    assert line.startswith("  alerts     digest not delivered to json://127.0.0.1: ")
    assert line.endswith(", retried next run")
    assert main(["status", "--db", str(db)]) == 0
    status = capsys.readouterr().out
    _head, table = status.split("Alert digests not delivered (retried by the next run):\n")
    header, _rule, *rows, count = table.strip().splitlines()
    assert header.split() == ["channel", "status", "alerts", "attempts", "last_error"]
    assert [r.split()[:4] for r in rows] == [["json://127.0.0.1", "failed", "8", "1"]]
    assert count == "(1 row)"


def test_every_option_of_every_command_says_what_it_does() -> None:
    silent = [
        f"{name} {'/'.join(action.option_strings) or action.dest}"
        for name, parser in _commands().items()
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and not (action.help or "").strip()
    ]
    assert silent == []


def test_a_bad_environment_variable_is_named_in_one_line(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pydantic's error was a traceback of 30 lines; the operator needs the variable's name."""
    monkeypatch.setenv("NEWSDESK_MAX_ATTEMPTS", "three")
    assert main(["status", "--db", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("newsdesk: NEWSDESK_MAX_ATTEMPTS: ") and "'three'" in err


def test_a_missing_argument_is_one_line_naming_it(capsys) -> None:
    assert main(["query"]) == 2
    err = capsys.readouterr().err
    assert err == "newsdesk: query: the following arguments are required: sql\n"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_command_names_a_function_that_exists(command) -> None:
    assert callable(command.function())


def test_a_malformed_cidr_range_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDESK_ALLOW_HOSTS", "127.0.0.0/8,127.0.0.0/33")
    assert main(["status", "--db", str(tmp_path / "w.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NEWSDESK_ALLOW_HOSTS" in err and "'127.0.0.0/33'" in err
