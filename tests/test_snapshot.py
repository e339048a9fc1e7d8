"""Reading while the night runs: a reader process never fails and never sees half a batch."""

import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS, run_command

from cli.main import main
from flows.demo import Site


@pytest.mark.integration
def test_queries_during_a_run_read_the_last_snapshot(
    prefect_server: str, demo_site: Site, tmp_path: Path, capsys
) -> None:
    from flows.nightly import nightly

    db = tmp_path / "w.duckdb"
    harbor = tmp_path / "harbor.toml"
    harbor.write_text(f'[[feeds]]\nurl = "{demo_site.url}/harbor/rss.xml"\nname = "Harbor"\n')
    nightly(
        feeds_file=str(harbor), db_path=str(db), seeds_dir=str(SEEDS), allow_hosts=["127.0.0.1"]
    )
    both = tmp_path / "both.toml"
    both.write_text(
        harbor.read_text()
        + f'[[feeds]]\nurl = "{demo_site.url}/courier/atom.xml"\nname = "Courier"\n'
    )
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "NEWSDESK_PER_HOST_DELAY": "0.3"}
    run = subprocess.Popen(
        run_command(both, db),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sql = "select count(*) from articles where source = 'feed'"
    codes, counts, from_snapshot = [], set(), 0
    while run.poll() is None:
        code = main(["query", "--db", str(db), "--format", "csv", sql])
        out = capsys.readouterr()
        codes.append(code)
        if code == 0:
            counts.add(int(out.out.splitlines()[1]))
        from_snapshot += "reading the snapshot" in out.err
        time.sleep(0.25)  # a reader, not a busy loop taking the run's core
    output = run.communicate()[0]
    assert run.returncode == 0, output
    assert codes and set(codes) == {0}
    assert from_snapshot > 0
    assert counts <= {4, 7}
    assert main(["query", "--db", str(db), "--format", "csv", sql]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "7"


def test_status_shows_a_run_that_died_after_the_last_snapshot(tmp_path: Path, capsys) -> None:
    from datetime import UTC, datetime, timedelta

    from warehouse import snapshot, store
    from warehouse.db import connect
    from warehouse.lock import run_lock

    db = tmp_path / "w.duckdb"
    now = datetime.now(UTC)
    con = connect(db)
    store.start_run(con, "good", now - timedelta(days=1))
    store.finish_run(con, "good", now - timedelta(days=1), "completed", {})
    con.close()
    snapshot.publish(db)
    con = connect(db)
    store.start_run(con, "killed", now)  # its process then died: never finished, no snapshot
    con.close()
    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("Last run killed: ABANDONED: the process ended")
    with run_lock(db, "alive", 1):  # held: the run is alive, the snapshot is what can be read
        assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Last 10 runs:") and "killed" not in out
    assert main(["status", "--db", str(db), "--runs", "-1"]) == 2
    assert "argument --runs: must be at least 1" in capsys.readouterr().err
