"""Disk full and a read-only warehouse: a clear error, nothing half-written, and the next run
recovers. A full disk is made with a file-size limit (RLIMIT_FSIZE with SIGXFSZ ignored: writes
fail with EFBIG the way they fail with ENOSPC), which needs no small file system; a read-only
warehouse with the immutable attribute (chattr +i), which holds even for root."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, make_article, run_command, run_nightly

from flows.demo import Site, write_feed_list
from ingest.errors import write_failure
from ingest.models import Article
from warehouse import store
from warehouse.db import connect


def harbor_only(site: Site, path: Path) -> Path:
    full = write_feed_list(site.url, path).read_text(encoding="utf-8")
    path.write_text(full.split("\n\n[[feeds]]")[0] + "\n", encoding="utf-8")
    return path


def stored(db: Path) -> list[tuple[str, str | None]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return sorted(con.execute("SELECT canonical_url, duplicate_of FROM articles").fetchall())
    finally:
        con.close()


def newsdesk_run(
    feeds: Path, db: Path, prefect_server: str, **popen: object
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PREFECT_API_URL": prefect_server}
    return subprocess.run(
        run_command(feeds, db),
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        **popen,  # type: ignore[call-overload]
    )


@contextlib.contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """This process's writes past ``limit`` bytes fail (EFBIG), as on a full disk."""
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


def article(i: int) -> Article:
    text = f"Story {i}. " + "The harbour board met again to discuss the long winter. " * 60
    return make_article(f"a{i}", text, datetime(2026, 11, 28, tzinfo=UTC), content_hash=f"h{i}")


@pytest.mark.integration
def test_disk_full_run_fails_clearly_and_the_next_run_recovers(
    prefect_server: str, demo_site: Site, tmp_path: Path, capsys
) -> None:
    from cli.main import main

    db = tmp_path / "w.duckdb"
    assert run_nightly(harbor_only(demo_site, tmp_path / "one.toml"), db).status == "completed"
    before = stored(db)
    feeds = write_feed_list(demo_site.url, tmp_path / "feeds.toml")
    cap = os.path.getsize(db) + 16 * 1024

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))

    failed = newsdesk_run(feeds, db, prefect_server, preexec_fn=full_disk)
    last = failed.stderr.decode(errors="replace").strip().splitlines()[-1]
    assert failed.returncode == 1
    assert last.startswith("newsdesk: run failed: cannot write (disk full or read-only?): ")
    assert "File too large" in last and "next run goes on" in last
    assert stored(db) == before
    # What the operator reads next morning: the failed run, not the last good one.
    capsys.readouterr()
    assert main(["status", "--db", str(db)]) == 0
    headline = capsys.readouterr().out.splitlines()[0]
    assert headline.startswith("Last run ") and ("FAILED" in headline or "ABANDONED" in headline)

    assert run_nightly(feeds, db).status == "completed"
    after = stored(db)
    assert set(before) < set(after) and len(after) == 8  # the seed and 7 pages
    con = duckdb.connect(str(db), read_only=True)
    runs = con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()
    con.close()
    assert runs[0] == ("completed",) and runs[-1] == ("completed",)
    assert runs[1] in {("failed",), ("abandoned",)}


def test_a_batch_that_cannot_be_written_leaves_no_part_of_it(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    con = connect(db)
    store.store_batch(con, [article(i) for i in range(50)], [], [])
    con.execute("CHECKPOINT")
    with file_size_limit(64 * 1024), pytest.raises(duckdb.Error) as failure:
        store.store_batch(con, [article(i) for i in range(50, 300)], [], [])
        con.execute("CHECKPOINT")
    assert write_failure(failure.value) is not None
    con.close()
    con = connect(db)
    (count,) = con.execute("SELECT count(*) FROM articles").fetchone()
    assert count in (50, 300)  # the whole batch or none of it, never part
    store.store_batch(con, [article(i) for i in range(50, 300)], [], [])
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (300,)
    con.close()


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or folder unwritable, even for root (immutable attribute)."""
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if made.returncode != 0:
        if os.geteuid() == 0:
            pytest.skip(f"chattr +i unavailable: {made.stderr.decode().strip()}")
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_warehouse_is_named_and_left_as_it_was(
    what: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    folder = tmp_path / "wh"
    folder.mkdir()
    db = folder / "w.duckdb"
    con = connect(db)
    store.store_batch(con, [article(1)], [], [])
    con.close()
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(
        '[[feeds]]\nurl = "http://127.0.0.1:9/feed.xml"\nname = "Closed port"\n', encoding="utf-8"
    )
    content = db.read_bytes()
    with read_only(db if what == "file" else folder):
        code = main(["run", "--db", str(db), "--feeds", str(feeds)])
    err = capsys.readouterr().err
    assert code == 2
    assert str(db) in err
    if what == "folder":
        assert "cannot create its lock file" in err and "read-only" in err
    else:
        assert "cannot open warehouse" in err
    assert db.read_bytes() == content
    con = connect(db)  # writable again: opens and migrates as before
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (1,)
    con.close()
