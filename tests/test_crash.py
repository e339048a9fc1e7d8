"""The crash matrix: the real `newsdesk run` is SIGKILLed at a crash point (ingest/faults.py),
then run again. Afterwards the warehouse must hold exactly what one uninterrupted run stores:
no duplicate, no lost entry, every alert delivered once, the schema intact.

The suite runs four points that cover the kinds of state (feed validators vs. the entry
queue, an open write transaction, alerts stored but not sent, an alert sent but not recorded);
`make crash` runs
all eight points of ingest/faults.py and the second passage of the batch write.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
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
    return re.findall(r"\(([A-Z]{2})\)", body)


@pytest.fixture(scope="module")
def reference(
    prefect_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """One uninterrupted run on a fresh warehouse and a fresh copy of the demo site."""
    folder = tmp_path_factory.mktemp("reference")
    hook = Webhook()
    with (
        serve_site(SITE_DIR, port=0) as site,
        serve({"/hook": hook.route}) as (base, _stats),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("NEWSDESK_ALERT_URLS", base.replace("http://", "json://") + "/hook")
        summary = run_nightly(write_feed_list(site.url, folder / "feeds.toml"), folder / "w.db")
        state = warehouse_state(folder / "w.db", site.url)
    assert summary.status == "completed"
    assert len(hook.received) == 1
    state["digest"] = digest_countries(hook.received[0][1])
    assert len(state["digest"]) == 8
    yield state


@pytest.mark.parametrize("point", MATRIX)
def test_killed_run_then_rerun_leaves_what_one_run_leaves(
    point: str,
    reference: dict[str, Any],
    prefect_server: str,
    demo_site: Site,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feeds = write_feed_list(demo_site.url, tmp_path / "feeds.toml")
    db = tmp_path / "w.duckdb"
    hook = Webhook()
    with serve({"/hook": hook.route}) as (base, _stats):
        url = base.replace("http://", "json://") + "/hook"
        env = {
            **os.environ,
            "PREFECT_API_URL": prefect_server,
            "NEWSDESK_ALERT_URLS": url,
            "NEWSDESK_CRASH_AT": point,
        }
        proc = subprocess.run(
            run_command(feeds, db), cwd=ROOT, env=env, capture_output=True, timeout=120
        )
        output = (proc.stdout + proc.stderr).decode(errors="replace")
        assert proc.returncode == -signal.SIGKILL, f"never reached {point}:\n{output[-3000:]}"

        con = connect(db)  # opens cleanly: the WAL replays or is discarded, migrations hold
        assert schema_version(con) == migrations()[-1][0]
        con.close()

        monkeypatch.setenv("NEWSDESK_ALERT_URLS", url)
        rerun = run_nightly(feeds, db)
        assert rerun.status == "completed"

    after = warehouse_state(db, demo_site.url)
    assert after == {k: v for k, v in reference.items() if k != "digest"}, point
    assert after["queue"] == [] and after["undelivered"] == []
    # One digest key; a resend after a crash between sending and recording carries the same
    # key (X-Newsdesk-Digest), which is what lets a receiver drop the second copy.
    keys = {key for key, _body in hook.received}
    assert len(keys) == 1, hook.received
    assert all(digest_countries(body) == reference["digest"] for _key, body in hook.received)
    con = duckdb.connect(str(db), read_only=True)
    statuses = [r[0] for r in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()]
    dup_urls = con.execute(
        "SELECT count(*) - count(DISTINCT canonical_url) FROM articles"
    ).fetchone()
    con.close()
    assert statuses[-1] == "completed" and "running" not in statuses
    assert dup_urls == (0,)
