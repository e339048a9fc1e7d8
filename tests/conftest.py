"""Shared fixtures: a throw-away Prefect home, loopback sites, real DuckDB files."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Prefect reads its settings at import: point it at a temporary home first.
_PREFECT_HOME = tempfile.mkdtemp(prefix="newsdesk-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# No test reads the run logs back from the Prefect API; shipping them there cost the test
# server a third of its CPU. The demo and serve commands, run as a user runs them, still do.
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
for _var in [v for v in os.environ if v.startswith("NEWSDESK_")]:
    del os.environ[_var]
# Test runs extract a handful of pages: without a pool, no `newsdesk run` subprocess starts a
# forkserver that loads trafilatura and dateparser for nothing. Tests of the pool ask for one.
os.environ["NEWSDESK_EXTRACT_WORKERS"] = "1"

import duckdb  # noqa: E402
import pytest  # noqa: E402

from flows.demo import SITE_DIR, Site, serve_site  # noqa: E402
from ingest.models import Article, CountryMention  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from warehouse.db import connect  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"


def make_article(article_id: str, text: str, fetched_at: Any, **fields: Any) -> Article:
    """The tests' one article factory: a feed article at ``https://x/<id>`` whose content
    hash is ``h<id>``, unless ``fields`` say otherwise."""
    url = f"https://x/{article_id}"
    values = {"source": "feed", "url": url, "canonical_url": url, "content_hash": f"h{article_id}"}
    return Article(article_id=article_id, text=text, fetched_at=fetched_at, **{**values, **fields})


def sql_examples() -> list[tuple[str, str]]:
    """Every statement of the ```sql blocks of the README and docs/sql.md (the documented
    SQL that must run on a warehouse, and on its DuckLake copy)."""
    import re

    found = []
    for doc in ("README.md", "docs/sql.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        for block in re.findall(r"```sql\n(.*?)```", text, re.S):
            for statement in block.split(";"):
                lines = [ln for ln in statement.strip().splitlines() if ln.strip()]
                if any(not ln.lstrip().startswith("--") for ln in lines):
                    found.append((doc, "\n".join(lines)))
    return found


def make_mention(article_id: str, code: str, name: str, snippet: str = "") -> CountryMention:
    """The tests' one mention factory: one mention at the text's start."""
    return CountryMention(
        article_id=article_id,
        country_code=code,
        country_name=name,
        mentions=1,
        first_offset=0,
        snippet=snippet,
    )


def run_command(feeds: Path, db: Path) -> list[str]:
    """`newsdesk run` on the demo seeds, as a second process runs it."""
    import sys

    return [
        sys.executable,
        "-m",
        "cli",
        "run",
        "--feeds",
        str(feeds),
        "--db",
        str(db),
        "--seeds",
        str(SEEDS),
        "--allow-host",
        "127.0.0.1",
    ]


def run_nightly(feeds: Path, db: Path) -> Any:
    """One nightly run in this process, on the demo seeds, allowed to reach loopback sites."""
    from flows.nightly import nightly

    return nightly(
        feeds_file=str(feeds),
        db_path=str(db),
        seeds_dir=str(SEEDS),
        allow_hosts=["127.0.0.1", "localhost"],
    )


def warehouse_state(db: Path, base: str) -> dict[str, Any]:
    """What a run leaves behind, in terms that depend neither on the run nor on the site's
    port: articles are named by their URL path."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        name = {
            aid: url.removeprefix(base)
            for aid, url in con.execute("SELECT article_id, canonical_url FROM articles").fetchall()
        }

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return sorted(
                tuple(name.get(v, v) if isinstance(v, str) else v for v in row)
                for row in con.execute(sql).fetchall()
            )

        return {
            "articles": rows(
                "SELECT article_id, content_hash, duplicate_of, language, source FROM articles"
            ),
            "mentions": rows(
                "SELECT article_id, country_code, mentions, first_offset FROM country_mentions"
            ),
            "alerts": rows("SELECT country_code, article_id FROM alerts"),
            "undelivered": rows("SELECT article_id FROM alerts WHERE delivered_at IS NULL"),
            "failures": sorted(
                (url.removeprefix(base), status)
                for url, status in con.execute(
                    "SELECT DISTINCT url, status FROM fetch_log WHERE kind = 'page' AND error "
                    "IS NOT NULL"
                ).fetchall()
            ),
            "queue": rows("SELECT canonical_url FROM entry_queue"),
            "index": rows("SELECT article_id FROM dedupe_docs"),
        }
    finally:
        con.close()


def update_iceland_story(root: Path, paragraph: str) -> None:
    """The demo site (copied to ``root``) updates one story: a paragraph added to the page
    and a later ``<updated>`` on its Atom entry, as a publisher's correction looks."""
    page = root / "courier/world/iceland-geothermal.html"
    page.write_text(page.read_text().replace("</article>", f"<p>{paragraph}</p>\n</article>"))
    atom = root / "courier/atom.xml"
    atom.write_text(
        atom.read_text().replace(
            "<updated>2026-11-26T11:00:00Z</updated>", "<updated>2026-11-27T09:00:00Z</updated>"
        )
    )


WORDS = (
    "harbour council budget river bridge station market winter farmers school museum railway "
    "tunnel festival hospital library ferry valley harvest election court factory airport "
    "forest coast energy water housing transport college stadium"
)


def generated_site(root: Path, count: int, copy_of: int) -> None:
    """``count`` distinct articles behind one RSS feed; the last one repeats article
    ``copy_of`` under another headline."""
    import random

    words = WORDS.split()
    bodies = []
    for n in range(count - 1):
        rng = random.Random(n)
        bodies.append(
            "".join(
                "<p>" + " ".join(rng.choice(words) for _ in range(40)) + ".</p>" for _ in range(4)
            )
        )
    bodies.append(bodies[copy_of])
    items = []
    for n, body in enumerate(bodies):
        (root / f"a{n}.html").write_text(
            f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
            f"{body}</article></body></html>"
        )
        items.append(f"<item><title>Story {n}</title><link>{{{{base}}}}/a{n}.html</link></item>")
    (root / "rss.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Generated</title>'
        + "".join(items)
        + "</channel></rss>"
    )


def table_counts(con: duckdb.DuckDBPyConnection, *tables: str) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(tmp_path / "warehouse.duckdb")
    yield con
    con.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db=tmp_path / "warehouse.duckdb",
        seeds_dir=SEEDS,
        allow_hosts=["127.0.0.1", "localhost"],
        connect_timeout=2,
        read_timeout=2,
        total_timeout=5,
    )


@pytest.fixture
def demo_site() -> Iterator[Site]:
    with serve_site(SITE_DIR, port=0) as site:
        yield site


class EarlyServer:
    """The Prefect test server (what ``prefect_test_harness`` starts: uvicorn on a temporary
    SQLite database), started as soon as collection ends. Its start-up then overlaps the tests
    that need no server, which run first. Launched as Prefect's ``SubprocessASGIServer``
    launches it, without importing ``prefect.server`` here (5 s of CPU for nothing)."""

    def __init__(self) -> None:
        import subprocess
        import sys
        import threading

        folder = self.folder = Path(tempfile.mkdtemp(prefix="newsdesk-prefect-server-"))
        self.template = folder / "template.db"
        port = str(_free_port())
        self.url = f"http://127.0.0.1:{port}/api"
        env = {
            **os.environ,
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{folder / 'p.db'}",
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        uvicorn = [sys.executable, "-m", "uvicorn", "--factory", "--lifespan", "on"]
        self.proc = subprocess.Popen(
            [*uvicorn, "--host", "127.0.0.1", "--port", port, "--log-level", "error", APP],
            env=env,
        )
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._wait_healthy, daemon=True)
        self.thread.start()

    def _wait_healthy(self, timeout: float = 180) -> None:
        import time

        import httpx

        deadline = time.monotonic() + timeout
        # One client for every poll: building one loads the CA bundle, 0.1 s of CPU each time,
        # which made this loop the suite's largest consumer after the servers themselves.
        with httpx.Client(timeout=2, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    self.error = RuntimeError(f"Prefect test server exited {self.proc.returncode}")
                    return
                try:
                    if client.get(f"{self.url}/health").status_code == 200:
                        self._keep_template()
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.error = TimeoutError(f"Prefect test server not healthy after {timeout} s")

    def _keep_template(self) -> None:
        """A copy of the freshly migrated database, before any test writes to it: a Prefect
        home seeded with it skips the 10 s of migrations a fresh one runs."""
        import sqlite3

        source = sqlite3.connect(self.folder / "p.db")
        target = sqlite3.connect(self.template)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()

    def seed_home(self, home: Path) -> None:
        """Give ``home`` (a PREFECT_HOME) the migrated database, once the server is up."""
        import shutil

        self.wait()
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.template, home / "prefect.db")

    def wait(self) -> str:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.url

    def stop(self) -> None:
        import subprocess

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


APP = "prefect.server.api.server:create_app"
EARLY: dict[str, EarlyServer] = {}


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[str]:
    """One Prefect test server for the whole session, started early (see ``EarlyServer``)."""
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    early = EARLY.get("server") or EARLY.setdefault("server", EarlyServer())
    url = early.wait()
    # As `newsdesk run` (cli/, prefect_run): no heartbeat thread to hold the end of
    # every flow run for up to a second.
    with temporary_settings(
        updates={PREFECT_API_URL: url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    ):
        yield url
        with contextlib.suppress(RuntimeError):
            APILogWorker.drain_all(timeout=5)
    early.stop()


class Background:
    """A command started when the session starts, checked by its test later: the slowest
    end-to-end commands (each starts its own Prefect server) overlap the rest of the suite."""

    def __init__(
        self,
        args: list[str],
        cwd: Path,
        env: dict[str, str],
        before: Callable[[], None] | None = None,
    ) -> None:
        import subprocess
        import threading

        self.cwd = cwd
        self.proc: subprocess.Popen[str] | None = None
        self.error: BaseException | None = None

        def start() -> None:
            try:
                if before is not None:
                    before()
                # A session of its own: killing it at the end of the test session also kills
                # what it started (`serve --check` starts a Prefect server), even when its
                # test never ran.
                self.proc = subprocess.Popen(
                    args,
                    cwd=cwd,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    start_new_session=True,
                )
            except BaseException as error:  # the test that reads the result reports it
                self.error = error

        # ``before`` may wait (for the Prefect test server's migrated database): start in a
        # thread so that collection goes on.
        self.starter = threading.Thread(target=start, daemon=True)
        self.starter.start()

    def kill(self) -> None:
        import signal

        self.starter.join(timeout=240)
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def result(self, timeout: float = 240) -> tuple[int, str, str]:
        self.starter.join(timeout=timeout)
        if self.error is not None:
            raise self.error
        assert self.proc is not None, "the background command never started"
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err


BACKGROUND: dict[str, Background] = {}


def _background(item: Any) -> str | None:
    """The background command a test checks (its ``background`` marker), if any."""
    marker = item.get_closest_marker("background")
    return str(marker.args[0]) if marker else None


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _needs_server(item: Any) -> bool:
    return "prefect_server" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(session, config, items) -> None:
    """Tests that need the Prefect server run last, while it starts; the background commands
    are checked at the very end."""
    needs_server = [i for i in items if _needs_server(i)]
    checked_late = [i for i in items if _background(i)]
    first = [i for i in items if i not in needs_server and i not in checked_late]
    items[:] = first + [i for i in needs_server if i not in checked_late] + checked_late


def start_background(items: list[Any]) -> None:
    """The background commands of the selected tests."""
    import sys

    wanted = {_background(i) for i in items} - {None}
    base = Path(tempfile.mkdtemp(prefix="newsdesk-bg-"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSDESK_"))}
    if "demo" in wanted:
        home = base / "demo"
        home.mkdir()
        BACKGROUND["demo"] = Background(
            [
                sys.executable,
                "-m",
                "cli",
                "demo",
                "--db",
                str(home / "demo.duckdb"),
                "--port",
                str(_free_port()),
            ],
            home,
            {**clean, "PREFECT_HOME": str(home / "prefect-home")},
            # Started once the test server is up: the two would compete for the cores while
            # the first tests run, and later the suite leaves one core idle for long spells.
            before=None if EARLY.get("server") is None else EARLY["server"].wait,
        )
    if "serve" in wanted:
        home = base / "serve"
        home.mkdir()
        early = EARLY.get("server")
        BACKGROUND["serve"] = Background(
            [sys.executable, "-m", "cli", "serve", "--check"],
            ROOT,
            {**clean, "PREFECT_HOME": str(home / "prefect-home")},
            # What is tested is the start, registration and stop of a local server, not
            # Prefect's migrations (the demo's fresh home runs those).
            before=None if early is None else lambda: early.seed_home(home / "prefect-home"),
        )


def pytest_collection_finish(session) -> None:
    """Start the Prefect server once the selection is final (after ``-m``/``-k``), if a
    selected test needs it, then the background commands; likewise the extraction
    forkserver, which loads in the background while the first tests run."""
    if any(_needs_server(i) for i in session.items):
        EARLY.setdefault("server", EarlyServer())
    start_background(session.items)
    # Tests that create an extraction pool (marked ``pool``): its forkserver loads trafilatura
    # and dateparser once.
    if any(i.get_closest_marker("pool") for i in session.items):
        from ingest.extract import start_forkserver

        start_forkserver(2)


def pytest_sessionfinish(session, exitstatus) -> None:
    early = EARLY.get("server")
    if early is not None:
        early.stop()
    for job in BACKGROUND.values():
        job.kill()
