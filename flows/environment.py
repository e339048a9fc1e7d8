"""The Prefect settings newsdesk's commands run flows under."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

# Settings that give Prefect's ephemeral mode clean logs: no telemetry ERROR when offline, no
# tracebacks from the task-run recorder flushing while the temporary server is stopped at exit,
# and time for a fresh PREFECT_HOME to run its migrations (10-25 s on a loaded machine, past
# the default 20 s). pyproject.toml carries them too, but only for commands started from the
# project folder.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    # The client's own usage reports, and the notice about them Prefect prints on a terminal:
    # newsdesk runs offline and unattended, and says analytics are off.
    "DO_NOT_TRACK": "1",
}


def use_prefect_defaults() -> None:
    """Set the defaults above where the environment does not; before Prefect is imported, which
    reads them once."""
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)


@contextlib.contextmanager
def prefect_run() -> Iterator[None]:
    """Prefect settings for a flow this command starts and waits for. Flow-run heartbeats are
    off: they let a server notice a deployment's run whose process died, but a run started
    here reports its end through this command's exit status, and the next run marks a killed
    one abandoned; meanwhile their thread held the end of every run for up to a second (it
    sleeps in 1 s steps and the run waits for it). Deployment runs (``newsdesk serve``) keep
    them."""
    use_prefect_defaults()
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
