"""The warehouse in a DuckLake (a DuckDB-file catalog, Parquet data), kept up to date night by
night by `newsdesk export --ducklake`: the documented SQL gives on the lake what it gives on
the file, and each export is one snapshot with only the new and changed rows."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import make_article, make_mention, sql_examples

from cli.main import main
from ingest.models import Alert, FeedSpec
from warehouse import store
from warehouse.db import connect
from warehouse.lake import load_extensions

NIGHT = datetime(2026, 11, 20, 3, tzinfo=UTC)


def _postgres_programs() -> Path | None:
    """Debian's PostgreSQL server programs (initdb, pg_ctl), the newest version there is."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


INITDB = ("-U", "newsdesk", "--auth=trust", "-E", "UTF8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def postgres() -> Iterator[str]:
    """A PostgreSQL server of the test's own on 127.0.0.1, stopped at the end; its DuckLake
    catalog string. initdb refuses to run as root, so as root the server runs as Debian's
    postgres user."""
    programs = _postgres_programs()
    if programs is None:
        pytest.skip("no PostgreSQL server found: install Debian's postgresql, as .ci/run does")
    home = Path(tempfile.mkdtemp(prefix="newsdesk-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server as")
        os.chown(home, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = home / "data", _free_port()
    pg_ctl = [*as_user, str(programs / "pg_ctl"), "-D", str(data)]
    quiet = {"check": True, "capture_output": True, "timeout": 60}
    try:
        subprocess.run(
            [*as_user, str(programs / "initdb"), "-D", str(data), *INITDB],
            **quiet,
        )
        options = f"-h 127.0.0.1 -p {port} -k {home}"
        subprocess.run([*pg_ctl, "-l", str(home / "log"), "-w", "-o", options, "start"], **quiet)
        yield f"postgres:dbname=postgres host=127.0.0.1 port={port} user=newsdesk"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


def _night(db: Path, n: int) -> None:
    """A night's originals, a copy, their countries and an alert, as a run stores them."""
    con = connect(db)
    day = NIGHT + timedelta(days=n)
    arts = [
        make_article(
            f"n{n}a{i}",
            f"Kenya and Chile, night {n}, story {i}.",
            day,
            title=f"Story {n}.{i}",
            published_at=day,
            site_name="Harbor Daily",
        )
        for i in range(3)
    ]
    arts.append(
        make_article(
            f"n{n}c",
            "A copy.",
            day,
            title=f"Copy {n}",
            duplicate_of=f"n{n}a0",
            site_name="Evening Courier",
        )
    )
    mentions = [make_mention(a.article_id, "KE", "Kenya") for a in arts[:3]]
    alerts = (
        [
            Alert(
                alert_id=f"al{n}",
                country_code="KE" if n == 0 else "CL",
                country_name="Kenya" if n == 0 else "Chile",
                article_id=f"n{n}a0",
                raised_at=day,
                run_id=f"r{n}",
            )
        ]
        if n < 2
        else []
    )
    store.store_batch(con, arts, mentions, alerts)
    store.register_feeds(con, [FeedSpec(url="https://harbor.example/rss", name="Harbor")])
    con.execute(
        "INSERT INTO runs (run_id, started_at, status) VALUES (?, ?, 'completed')", [f"r{n}", day]
    )
    con.close()


def _answers(con: duckdb.DuckDBPyConnection) -> list[list[str]]:
    """What each documented statement returns, rows as sorted text."""
    out = []
    for doc, statement in sql_examples():
        try:
            rows = con.execute(statement).fetchall()
        except duckdb.Error as exc:
            raise AssertionError(f"{doc}: {statement}\n{exc}") from exc
        out.append(sorted(map(repr, rows)))
    return out


def _three_nights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], catalog: str, data: Path
) -> list[Any]:
    """Three nights stored and exported; after each, the documented SQL on the lake and on the
    file give the same rows. The lake's snapshot count after each export."""
    db = tmp_path / "w.duckdb"
    snapshots: list[Any] = []
    for n in range(3):
        _night(db, n)
        args = ["export", "--ducklake", catalog, "--data-path", str(data), "--db", str(db)]
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "articles: 4 rows" in out and f"written to the DuckLake {catalog}" in out
        lake = duckdb.connect()
        load_extensions(lake, catalog)  # from the packages: no download
        lake.execute(f"ATTACH 'ducklake:{catalog}' AS lake (READ_ONLY)")
        snapshots.append(lake.execute("SELECT count(*) FROM ducklake_snapshots('lake')").fetchone())
        lake.execute("USE lake")
        on_lake = _answers(lake)
        lake.close()
        file = duckdb.connect(str(db), read_only=True)
        on_file = _answers(file)
        file.close()
        assert len(on_file) >= 8 and on_lake == on_file, n
    return [s[0] for s in snapshots]


def test_the_documented_sql_gives_on_the_lake_what_it_gives_on_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = tmp_path / "lake" / "catalog.ducklake"
    snapshots = _three_nights(tmp_path, capsys, str(catalog), tmp_path / "lake" / "data")
    assert snapshots == [2, 3, 4]  # one snapshot a night after the first
    assert (tmp_path / "lake" / "data").is_dir()


def test_a_postgresql_catalog_keeps_the_lake_as_a_file_catalog_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], postgres: str
) -> None:
    """The catalog in a real PostgreSQL server (Debian's, started for the test), as a team
    whose readers are on other machines would run it."""
    snapshots = _three_nights(tmp_path, capsys, postgres, tmp_path / "data")
    assert snapshots == [2, 3, 4]
    server = duckdb.connect()
    load_extensions(server, postgres)
    dsn = postgres.removeprefix("postgres:")
    server.execute(f"ATTACH '{dsn}' AS pg (TYPE postgres, READ_ONLY)")
    (kept,) = server.execute("SELECT count(*) FROM pg.public.ducklake_snapshot").fetchone() or (0,)
    server.close()
    assert kept == 4  # the catalog is the server's


def test_a_catalog_in_a_database_needs_a_data_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "w.duckdb"
    _night(db, 0)
    catalog = "postgres:dbname=lake host=127.0.0.1"
    assert main(["export", "--ducklake", catalog, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs --data-path" in err


def test_a_catalog_that_cannot_be_opened_is_said_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "w.duckdb"
    _night(db, 0)
    bad = tmp_path / "not-a-lake.ducklake"
    bad.write_text("this is no catalog")
    assert main(["export", "--ducklake", str(bad), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--ducklake {bad}" in err
