"""The nightly deployment as declared in deployments/prefect.yaml, checked without a server."""

import asyncio
from datetime import UTC, datetime

import pytest
import yaml
from conftest import ROOT

PREFECT_YAML = ROOT / "deployments" / "prefect.yaml"


def nightly() -> dict:
    config = yaml.safe_load(PREFECT_YAML.read_text())
    (deployment,) = [d for d in config["deployments"] if d["name"] == "nightly"]
    return deployment


def test_prefect_yaml_validates_with_prefects_own_model() -> None:
    from prefect.cli.deploy._models import PrefectYamlModel

    config = yaml.safe_load(PREFECT_YAML.read_text())
    model = PrefectYamlModel.model_validate(config)
    assert [d.name for d in model.deployments] == ["nightly", "poll"]


def test_entrypoint_parameters_and_concurrency() -> None:
    from prefect.client.schemas.objects import ConcurrencyLimitConfig
    from prefect.flows import load_flow_from_entrypoint

    deployment = nightly()
    flow = load_flow_from_entrypoint(str(ROOT / deployment["entrypoint"]))
    assert flow.name == "newsdesk-nightly"
    assert set(deployment["parameters"]) == {"feeds_file", "db_path", "seeds_dir"}
    assert set(deployment["parameters"]) <= set(flow.parameters.properties)
    for key in ("feeds_file", "seeds_dir"):
        assert (ROOT / deployment["parameters"][key]).exists()
    limit = ConcurrencyLimitConfig(**deployment["concurrency_limit"])
    assert limit.limit == 1 and limit.collision_strategy.value == "CANCEL_NEW"


def test_schedule_runs_nightly_at_two_utc() -> None:
    from prefect.server.schemas.schedules import CronSchedule

    (schedule,) = nightly()["schedules"]
    cron = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
    start = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    dates = asyncio.run(cron.get_dates(n=3, start=start))
    assert [d.astimezone(UTC).isoformat() for d in dates] == [
        "2026-11-29T02:00:00+00:00",
        "2026-11-30T02:00:00+00:00",
        "2026-12-01T02:00:00+00:00",
    ]


@pytest.mark.background("serve")
def test_serve_check_starts_a_local_server_registers_and_stops() -> None:
    """`newsdesk serve --check`: a real `prefect server start` child, the deployment
    registered with its schedule, and the server gone afterwards (started at collection by
    conftest so that it overlaps the rest of the suite)."""
    import subprocess

    from conftest import BACKGROUND

    code, stdout, stderr = BACKGROUND["serve"].result()

    proc = subprocess.CompletedProcess([], code, stdout, stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "started a local Prefect server at http://127.0.0.1:" in proc.stdout
    assert "deployment nightly registered" in proc.stdout
    assert "schedule 0 2 * * * UTC" in proc.stdout
    assert "deployment poll registered" in proc.stdout and "schedule every 900 s" in proc.stdout
    url = proc.stdout.split("server at ", 1)[1].split()[0]
    import httpx

    try:
        httpx.get(url + "/api/health", timeout=2)
    except httpx.ConnectError:
        pass
    else:
        raise AssertionError(f"the Prefect server at {url} is still running")


def test_the_poll_deployment_reads_the_same_feeds_and_warehouse_every_quarter_hour() -> None:
    from prefect.flows import load_flow_from_entrypoint

    config = yaml.safe_load(PREFECT_YAML.read_text())
    (poll,) = [d for d in config["deployments"] if d["name"] == "poll"]
    flow = load_flow_from_entrypoint(str(ROOT / poll["entrypoint"]))
    assert flow.name == "newsdesk-poll"
    assert set(poll["parameters"]) <= set(flow.parameters.properties)
    for key in ("feeds_file", "db_path"):
        assert poll["parameters"][key] == nightly()["parameters"][key]
    assert poll["schedules"] == [{"interval": 900, "active": True}]
    assert poll["concurrency_limit"]["collision_strategy"] == "CANCEL_NEW"
