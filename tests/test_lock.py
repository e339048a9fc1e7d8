"""One run at a time: the lock file, with real second processes."""

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, run_command

from flows.demo import Site, write_feed_list
from warehouse.lock import RunLocked, holder, lock_path, run_lock

HOLD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from warehouse.lock import run_lock
    with run_lock(Path(sys.argv[1]), "held-by-test", 5):
        print("locked", flush=True)
        time.sleep(60)
""")


def hold_in_child(db: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_second_holder_waits_then_names_the_first(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    child = hold_in_child(db)
    try:
        started = time.monotonic()
        with pytest.raises(RunLocked) as err, run_lock(db, "second", wait=0.6):
            pass
        assert time.monotonic() - started >= 0.5
        assert "held-by-test" in str(err.value) and f"pid {child.pid}" in str(err.value)
    finally:
        child.kill()
        child.wait()


def test_lock_of_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    child = hold_in_child(db)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert holder(db)["run"] == "held-by-test"
    with run_lock(db, "next", wait=2) as note:
        assert note is not None and "stale lock" in note and str(child.pid) in note
        assert holder(db)["run"] == "next"
    assert holder(db)["released"] is True
    with run_lock(db, "after", wait=0) as note:
        assert note is None
    assert lock_path(db).exists()


@pytest.mark.integration
def test_two_runs_at_once_store_one_run(
    prefect_server: str, demo_site: Site, tmp_path: Path
) -> None:
    feeds = write_feed_list(demo_site.url, tmp_path / "feeds.toml")
    db = tmp_path / "w.duckdb"
    env = {**os.environ, "PREFECT_API_URL": prefect_server}
    cmd = run_command(feeds, db)
    child = hold_in_child(db)
    first = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**env, "NEWSDESK_LOCK_WAIT": "30"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(1.0)
    second = subprocess.run(
        cmd,
        cwd=ROOT,
        env={**env, "NEWSDESK_LOCK_WAIT": "0.5"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    child.kill()
    child.wait()
    out, _ = first.communicate(timeout=120)
    assert second.returncode == 3
    assert "is busy" in second.stderr and "holds w.duckdb.lock" in second.stderr
    assert first.returncode == 0, out
    con = duckdb.connect(str(db), read_only=True)
    runs = con.execute("SELECT status FROM runs").fetchall()
    con.close()
    assert runs == [("completed",)]


@pytest.mark.parametrize(
    "command", [["dedupe-index"], ["reextract"], ["ingest-urls", "-"], ["backup", "{tmp}/b"]]
)
def test_every_command_that_writes_takes_the_lock_first_and_exits_3(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """Before any of them opens the file or starts Prefect: a run in the way is named in one
    line, exit 3, in a fraction of a second."""
    from cli.main import main
    from warehouse.db import connect

    db = tmp_path / "w.duckdb"
    connect(db).close()
    monkeypatch.setenv("NEWSDESK_LOCK_WAIT", "0")
    monkeypatch.setattr(sys, "stdin", io.StringIO("https://x.example/a\n"))
    child = hold_in_child(db)
    try:
        code = main([*(a.format(tmp=tmp_path) for a in command), "--db", str(db)])
    finally:
        child.kill()
        child.wait()
    err = capsys.readouterr().err
    assert code == 3, err
    assert err.count("\n") == 1 and "held-by-test" in err
