"""Shared fixtures: a throw-away Prefect home, loopback sites, real DuckDB files."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Prefect reads its settings at import: point it at a temporary home first.
_PREFECT_HOME = tempfile.mkdtemp(prefix="newsdesk-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
for _var in [v for v in os.environ if v.startswith("NEWSDESK_")]:
    del os.environ[_var]

import duckdb  # noqa: E402
import pytest  # noqa: E402

from flows.demo import SITE_DIR, Site, serve_site  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from warehouse.db import connect  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"


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


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[str]:
    """One Prefect test server for the whole session (about 20 s to start)."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())
