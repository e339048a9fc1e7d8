"""The crash matrix: the real `newsdesk run` is SIGKILLed at a crash point (ingest/faults.py),
then run again. Afterwards the warehouse must hold exactly what one uninterrupted run stores:
no duplicate, no lost entry, every alert delivered once, the schema intact.

The suite runs four points that cover the kinds of state (feed validators vs. the entry
queue, an open write transaction, alerts stored but not sent, an alert sent but not recorded);
`make crash` runs
all eight points of ingest/faults.py and the second passage of the batch write.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import ROOT, run_command, run_nightly, warehouse_state
from loopback import serve

from flows.demo import SITE_DIR, Site, serve_site, write_feed_list
from ingest.faults import POINTS
from warehouse.db import connect, migrations, schema_version

pytestmark = pytest.mark.integration

QUICK = ("feeds-recorded", "mid-write", "stored", "sent")
FULL = os.environ.get("CRASH_MATRIX") == "full"
# mid-write:2 is the first feed batch (the first passage stores the seeds).
MATRIX = [*POINTS, "mid-write:2"] if FULL else list(QUICK)


class Webhook:
    """An alert channel that acknowledges every digest and keeps what it received."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[str, str]] = []

    def route(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0))).decode()
        with self.lock:
            self.received.append((handler.headers.get("X-Newsdesk-Digest", ""), body))
        handler.send_response(200)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"{}")


def digest_countries(body: str) -> list[str]:
    """The new countries a digest names (an article naming two lists both)."""
    return sorted(set(re.findall(r"\(([A-Z]{2})\)", body)))


@dataclass
class Killed:
    """A `newsdesk run` started with a crash point, its warehouse and its alert channel."""

    site: Site
    db: Path
    feeds: Path
    hook: Webhook
    url: str
    proc: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def crashes(
    prefect_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[dict[str, Any], dict[str, Killed]]]:
    """The reference (one uninterrupted run) and every crashed run of the matrix, all started
    together: the runs spend most of their time starting Python, which two cores overlap."""
    with contextlib.ExitStack() as stack:
        site = stack.enter_context(serve_site(SITE_DIR, port=0))
        killed: dict[str, Killed] = {}
        for point in MATRIX:
            folder = tmp_path_factory.mktemp(point.replace(":", "-"))
            hook = Webhook()
            base, _stats = stack.enter_context(serve({"/hook": hook.route}))
            url = base.replace("http://", "json://") + "/hook"
            feeds = write_feed_list(site.url, folder / "feeds.toml")
            env = {
                **os.environ,
                "PREFECT_API_URL": prefect_server,
                "NEWSDESK_ALERT_URLS": url,
                "NEWSDESK_CRASH_AT": point,
            }
            proc = subprocess.Popen(
                run_command(feeds, folder / "w.duckdb"),
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            killed[point] = Killed(site, folder / "w.duckdb", feeds, hook, url, proc)

        folder = tmp_path_factory.mktemp("reference")
        hook = Webhook()
        base, _stats = stack.enter_context(serve({"/hook": hook.route}))
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("NEWSDESK_ALERT_URLS", base.replace("http://", "json://") + "/hook")
            summary = run_nightly(write_feed_list(site.url, folder / "feeds.toml"), folder / "w.db")
        assert summary.status == "completed"
        reference = warehouse_state(folder / "w.db", site.url)
        assert len(hook.received) == 1
        reference["digest"] = digest_countries(hook.received[0][1])
        assert len(reference["digest"]) == 8
        try:
            yield reference, killed
        finally:
            for k in killed.values():
                if k.proc.poll() is None:
                    k.proc.kill()


@pytest.mark.parametrize("point", MATRIX)
def test_killed_run_then_rerun_leaves_what_one_run_leaves(
    point: str,
    crashes: tuple[dict[str, Any], dict[str, Killed]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reference, killed = crashes
    k = killed[point]
    output = k.proc.communicate(timeout=120)[0].decode(errors="replace")
    # The run's process was SIGKILLed at the point; its supervisor says so and exits 128 + 9.
    assert k.proc.returncode == 128 + signal.SIGKILL, f"never reached {point}:\n{output[-3000:]}"
    assert "the command's process was killed (SIGKILL" in output

    con = connect(k.db)  # opens cleanly: the WAL replays or is discarded, migrations hold
    assert schema_version(con) == migrations()[-1][0]
    con.close()

    monkeypatch.setenv("NEWSDESK_ALERT_URLS", k.url)
    assert run_nightly(k.feeds, k.db).status == "completed"

    after = warehouse_state(k.db, k.site.url)
    assert after == {key: v for key, v in reference.items() if key != "digest"}, point
    assert after["queue"] == [] and after["undelivered"] == []
    # One digest key; a resend after a crash between sending and recording carries the same
    # key (X-Newsdesk-Digest), which is what lets a receiver drop the second copy.
    keys = {key for key, _body in k.hook.received}
    assert len(keys) == 1, k.hook.received
    assert all(digest_countries(body) == reference["digest"] for _key, body in k.hook.received)
    con = duckdb.connect(str(k.db), read_only=True)
    statuses = [r[0] for r in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()]
    dup_urls = con.execute(
        "SELECT count(*) - count(DISTINCT canonical_url) FROM articles"
    ).fetchone()
    con.close()
    assert statuses[-1] == "completed" and "running" not in statuses
    assert dup_urls == (0,)
