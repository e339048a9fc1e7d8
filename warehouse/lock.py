"""One run at a time per warehouse: an advisory lock file next to the database.

The lock is an ``flock`` on ``<db>.lock``; the kernel drops it when the holding process dies, so
a lock left by a killed run is taken over at once. The file records who holds it (pid, host,
run, start time), so a run that has to give up can say which run is in the way.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ingest.errors import NewsdeskError

_HELD: dict[Path, int] = {}


class RunLocked(NewsdeskError):
    """Another run holds the warehouse; ``busy`` says who ("warehouse … is busy: … holds …")."""

    def __init__(self, busy: str, waited: float) -> None:
        super().__init__(f"{busy}; gave up after {waited:g} s (NEWSDESK_LOCK_WAIT)")
        self.busy = busy


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def holder(db: Path) -> dict[str, object]:
    """What the lock file says about the run that holds (or last held) it."""
    try:
        data = json.loads(lock_path(db).read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def is_held(db: Path) -> bool:
    """Whether a process holds the warehouse's lock now (a run, a backup)."""
    path = lock_path(Path(db).resolve())
    if path in _HELD:
        return True
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the shared lock, if it was taken
    return False


def _describe(info: dict[str, object]) -> str:
    if not info:
        return "an unknown process"
    return (
        f"run {info.get('run', '?')} (pid {info.get('pid', '?')} on {info.get('host', '?')}, "
        f"started {info.get('started', '?')})"
    )


@contextlib.contextmanager
def run_lock(db: Path, run: str, wait: float, poll: float = 0.2) -> Iterator[str | None]:
    """Hold the warehouse's lock for one run; waits up to ``wait`` seconds, then raises
    ``RunLocked`` naming the holder. Yields a note when a stale lock was taken over.

    Re-entrant within a process: the CLI takes the lock before the run has an id, and the flow
    it starts takes it again, which names the run in the lock file.
    """
    path = lock_path(Path(db).resolve())
    if path in _HELD:
        _rename(db, path, run)
        yield None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunLocked(
                        f"warehouse {db} is busy: {_describe(holder(db))} holds {path.name}", wait
                    ) from None
                time.sleep(poll)
        previous = holder(db)
        note = None
        if previous and previous.get("pid") and not previous.get("released"):
            note = f"took over a stale lock left by {_describe(previous)}"
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run": run,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        _HELD[path] = fd
        try:
            yield note
        finally:
            del _HELD[path]
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({**info, "released": True}).encode(), 0)
    finally:
        os.close(fd)


def _rename(db: Path, path: Path, run: str) -> None:
    fd = _HELD[path]
    info = holder(db)
    info["run"] = run
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode(), 0)
