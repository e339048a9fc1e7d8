"""Scale-out: the nightly flow on prefect-dask's DaskTaskRunner, page fetching and extraction on
a Dask LocalCluster with two workers, stores the same rows as the default runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEEDS, run_nightly, warehouse_state

from flows.demo import Site, write_feed_list
from flows.nightly import flow_for
from ingest.settings import Settings

pytestmark = pytest.mark.integration


def test_dask_runner_stores_the_same_rows_as_the_default_runner(
    prefect_server: str, demo_site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("distributed")
    feeds = write_feed_list(demo_site.url, tmp_path / "feeds.toml")
    default = run_nightly(feeds, tmp_path / "default.duckdb")
    expected = warehouse_state(tmp_path / "default.duckdb", demo_site.url)

    # Threads, not processes, for the workers: the same scheduler, task graph and runner,
    # without two worker interpreters importing Prefect (about 40 s on two cores).
    with distributed.LocalCluster(
        n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        monkeypatch.setenv("NEWSDESK_DASK_ADDRESS", cluster.scheduler_address)
        flow = flow_for(Settings())
        assert type(flow.task_runner).__name__ == "DaskTaskRunner"
        on_dask = flow(
            feeds_file=str(feeds),
            db_path=str(tmp_path / "dask.duckdb"),
            seeds_dir=str(SEEDS),
            allow_hosts=["127.0.0.1", "localhost"],
        )
        worked = {
            w.address: len(w.data) + w.state.transition_counter for w in cluster.workers.values()
        }
    assert on_dask.status == default.status == "completed"
    assert on_dask.articles_stored == default.articles_stored == 7
    assert warehouse_state(tmp_path / "dask.duckdb", demo_site.url) == expected
    assert len(worked) == 2 and all(n > 0 for n in worked.values())
