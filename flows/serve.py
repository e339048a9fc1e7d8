"""``newsdesk serve``: the nightly and poll schedules from deployments/prefect.yaml, in one
command.

Prefect's ephemeral server does not schedule, so when no ``PREFECT_API_URL`` is set this starts
``prefect server start`` as a child process (its state under ``PREFECT_HOME``), waits until it
answers, serves the deployment, and stops the server on exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from ingest.settings import Settings, shipped

PREFECT_YAML = shipped("deployments/prefect.yaml")


DEPLOYMENTS = ("nightly", "poll")


def deployment_spec(path: Path = PREFECT_YAML, name: str = "nightly") -> dict[str, Any]:
    """The named deployment of a prefect.yaml, as a dict."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    for deployment in config.get("deployments", []):
        if deployment.get("name") == name:
            return dict(deployment)
    raise KeyError(f"{path}: no deployment named {name!r}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def local_server(timeout: float = 180.0) -> Iterator[str]:
    """A ``prefect server start`` child on loopback; yields its API URL, stops it on exit."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2, trust_env=False) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"prefect server exited with code {proc.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(url + "/health").status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"prefect server did not answer on {url} in {timeout:g} s")
                time.sleep(0.5)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def serve(settings: Settings, path: Path = PREFECT_YAML, check: bool = False) -> int:
    """Serve the nightly and the poll deployments (``check``: register them, print their
    schedules, stop)."""
    specs = [deployment_spec(path, name) for name in DEPLOYMENTS]
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    if get_current_settings().api.url:
        return _serve(specs, check, settings)
    # The server's URL for this process's client and the flow runs it starts (Prefect's
    # runner passes the current settings to them), the environment left as it was.
    with local_server() as url, temporary_settings(updates={PREFECT_API_URL: url}):
        print(f"newsdesk: started a local Prefect server at {url.removesuffix('/api')}", flush=True)
        return _serve(specs, check, settings)


def _schedule(entry: dict[str, Any]) -> Any:
    """A prefect.yaml schedule entry (``cron`` with ``timezone``, or ``interval`` seconds)."""
    from prefect.schedules import Cron, Interval

    if "cron" in entry:
        return Cron(entry["cron"], timezone=entry.get("timezone", "UTC"))
    return Interval(entry["interval"])


def _describe(entry: dict[str, Any]) -> str:
    if "cron" in entry:
        return f"{entry['cron']} {entry.get('timezone', 'UTC')}"
    return f"every {entry['interval']} s"


def _serve(specs: list[dict[str, Any]], check: bool, settings: Settings) -> int:
    from prefect import serve as serve_all

    from flows.nightly import flow_for
    from flows.poll import poll

    flows = {"nightly": flow_for(settings), "poll": poll}
    deployments = [
        flows[spec["name"]].to_deployment(
            name=spec["name"],
            schedules=[_schedule(s) for s in spec["schedules"]],
            parameters=spec.get("parameters", {}),
            concurrency_limit=spec.get("concurrency_limit", {}).get("limit", 1),
        )
        for spec in specs
    ]
    if check:
        for spec, deployment in zip(specs, deployments, strict=True):
            deployment_id = deployment.apply()
            print(
                f"newsdesk: deployment {spec['name']} registered ({deployment_id}); schedule "
                + ", ".join(_describe(s) for s in spec["schedules"]),
                flush=True,
            )
        return 0
    serve_all(*deployments)
    return 0
