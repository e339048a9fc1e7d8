"""No run leaves a process behind, however it ends: a `newsdesk run` killed with SIGKILL (as
the OOM killer kills) takes its Prefect server and extraction processes with it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS
from loopback import drip, serve

from cli.supervise import ENV_FLAG, children


def started_by(supervisor: int) -> list[tuple[int, str]]:
    """Every live process whose environment names ``supervisor``: all the run started."""
    mark = f"{ENV_FLAG}={supervisor}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if mark in environ.read_bytes().split(b"\0"):
                cmdline = (environ.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                state = (environ.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append((int(environ.parent.name), cmdline.decode(errors="replace")))
        except OSError:
            continue
    return found


def kill_the_run_once(supervisor: subprocess.Popen[str], sign: str, timeout: float = 90) -> None:
    """Wait until a process whose command line holds ``sign`` is running, then SIGKILL the
    run's own process (the supervisor's child), as the OOM killer would."""
    deadline = time.monotonic() + timeout
    while not any(sign in cmd for _pid, cmd in started_by(supervisor.pid)):
        assert supervisor.poll() is None, supervisor.communicate()
        assert time.monotonic() < deadline, f"no {sign!r} process after {timeout} s"
        time.sleep(0.05)
    (run,) = children(supervisor.pid)
    os.kill(run, signal.SIGKILL)


def newsdesk_run(tmp_path: Path, feed_url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(f'[[feeds]]\nurl = "{feed_url}"\nname = "Slow"\n')
    args = ["run", "--feeds", str(feeds), "--db", str(tmp_path / "w.duckdb")]
    args += ["--seeds", str(SEEDS), "--allow-host", "127.0.0.1"]
    return subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def assert_nothing_left(supervisor: subprocess.Popen[str]) -> None:
    _out, err = supervisor.communicate(timeout=60)
    assert supervisor.returncode == 128 + signal.SIGKILL
    assert "the command's process was killed (SIGKILL, out of memory?)" in err
    assert started_by(supervisor.pid) == []


def test_a_killed_run_takes_its_temporary_prefect_server_with_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    with serve({"/slow.xml": drip(600, 0.1)}) as (base, _stats):
        supervisor = newsdesk_run(tmp_path, f"{base}/slow.xml", env)
        try:
            kill_the_run_once(supervisor, "uvicorn")
            assert_nothing_left(supervisor)
        finally:
            with_group_killed(supervisor)


@pytest.mark.integration
def test_a_killed_run_takes_its_extraction_processes_with_it(
    prefect_server: str, tmp_path: Path
) -> None:
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "NEWSDESK_EXTRACT_WORKERS": "2"}
    with serve({"/slow.xml": drip(600, 0.1)}) as (base, _stats):
        supervisor = newsdesk_run(tmp_path, f"{base}/slow.xml", env)
        try:
            kill_the_run_once(supervisor, "forkserver")
            assert_nothing_left(supervisor)
        finally:
            with_group_killed(supervisor)


def with_group_killed(proc: subprocess.Popen[str]) -> None:
    """Whatever the test's outcome, nothing it started outlives it."""
    for pid, _cmd in started_by(proc.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
