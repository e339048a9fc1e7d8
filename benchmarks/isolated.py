"""Benchmarks that start processes of their own (Prefect's ephemeral server, the extraction
forkserver) run in a fresh process, so nothing they start keeps running, and using CPU, while
the next benchmark measures."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _call(conn: Any, target: Callable[..., dict[str, Any]], args: tuple[Any, ...]) -> None:
    conn.send(target(*args))


def isolated(target: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``target(*args)`` in a spawned process; ``target`` must be a module-level function."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_call, args=(child, target, args))
    proc.start()
    result: dict[str, Any] = parent.recv()
    proc.join()
    return result


def peak_mb(pid: int | str = "self") -> float:
    """Peak resident memory of a process since it started its program (VmHWM). Not
    ``ru_maxrss``: Linux carries that across exec, so a spawned process would report the
    memory its parent had when it forked."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
