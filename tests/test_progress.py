"""The progress display: bars on a terminal, nothing otherwise."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, run_command
from rich.console import Console

from flows import progress
from flows.demo import Site, write_feed_list


def test_bars_on_a_terminal_show_each_stage_done_of_total() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80, color_system=None)
    with progress.display(console) as shown:
        progress.start("feeds", 2)
        progress.advance("feeds", 2)
        progress.start("pages", 8)
        progress.advance("pages", 5)
        progress.advance("pages", 3)
    text = out.getvalue()
    assert shown
    assert "feeds" in text and "2/2" in text
    assert "pages" in text and "8/8" in text


def test_no_display_when_not_a_terminal() -> None:
    out = io.StringIO()
    with progress.display(Console(file=out, force_terminal=False)) as shown:
        progress.start("pages", 3)
        progress.advance("pages", 3)
    assert not shown and out.getvalue() == ""


def test_each_result_is_reported_as_it_arrives(settings) -> None:
    """The feeds bar moves per feed: the fetcher reports each result when it comes, not the
    whole batch at the end."""
    from loopback import body, serve

    from ingest.fetch import FetchLimits
    from ingest.session import fetch_all_sync

    arrived: list[str] = []
    routes = {"/slow.xml": body(b"<rss/>", delay=0.5), "/fast.xml": body(b"<rss/>")}
    with serve(routes) as (base, _stats):
        results = fetch_all_sync(
            settings,
            [f"{base}/slow.xml", f"{base}/fast.xml"],
            FetchLimits.for_feeds(settings),
            on_done=lambda r: arrived.append(r.url.rsplit("/", 1)[1]),
        )
    assert [r.url.rsplit("/", 1)[1] for r in results] == ["slow.xml", "fast.xml"]
    assert arrived == ["fast.xml", "slow.xml"]


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
LOG_LINE = re.compile(r"\d\d:\d\d:\d\d\.\d{3} \| (INFO|WARNING|ERROR) ")


@pytest.mark.integration
def test_on_a_terminal_log_lines_never_tear_the_bars(
    prefect_server: str, demo_site: Site, tmp_path: Path
) -> None:
    """`newsdesk run` in a pseudo-terminal, as a person runs it: every log line starts a line
    of its own, above the bars."""
    feeds = write_feed_list(demo_site.url, tmp_path / "feeds.toml")
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "COLUMNS": "100", "TERM": "xterm"}
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen(
        run_command(feeds, tmp_path / "w.duckdb"),
        cwd=ROOT,
        env=env,
        stdin=child_fd,
        stdout=child_fd,
        stderr=child_fd,
        start_new_session=True,
    )
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_fd)
    assert proc.wait(timeout=120) == 0
    screen = ANSI.sub("", b"".join(chunks).decode(errors="replace"))
    segments = [s for line in screen.split("\n") for s in line.split("\r")]
    logged = [s for s in segments if LOG_LINE.search(s)]
    assert len(logged) >= 5
    torn = [s for s in logged if not LOG_LINE.match(s.lstrip())]
    assert torn == []
    assert "anonymous usage data" not in screen  # Prefect's telemetry notice
    assert any(re.search(r"feeds .*2/2", s) for s in segments)
    assert any(re.search(r"pages .*8/8", s) for s in segments)
