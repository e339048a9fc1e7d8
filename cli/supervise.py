"""A run's processes end with it, however it ends.

A command that runs a flow starts children of its own: Prefect's temporary server (uvicorn),
the extraction forkserver and its workers, a Dask cluster. When its process is killed (the OOM
killer, ``kill -9``) nothing stops them: a ``newsdesk run`` killed with SIGKILL left its
server (about 220 MB) running for good, re-parented to init.

So such a command runs as the child of a small supervisor, which changes nothing else: the
same arguments, environment, terminal and exit status. The supervisor is a Linux *child
subreaper*: whatever the command leaves behind is re-parented to it instead of to init, and once
the command's process has gone it ends every process left (SIGTERM, then SIGKILL after a
grace period). The command's process gets SIGTERM should the supervisor itself die.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# Set in the supervised command's environment (and so inherited by everything it starts): the
# supervisor's pid. A command that finds it set runs as it is.
ENV_FLAG = "NEWSDESK_SUPERVISOR"
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
# How long the processes left behind get to stop on SIGTERM before SIGKILL.
GRACE_S = 5.0


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _die_with_supervisor(supervisor: int) -> None:
    """In the command's process, before exec: SIGTERM when the supervisor dies."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != supervisor:  # it died before the line above took effect
        os._exit(1)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _reap() -> None:
    """Collect every child that has exited, without waiting for the others."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def end_orphans(grace: float = GRACE_S) -> int:
    """End every process left re-parented to this one; how many there were."""
    ended: set[int] = set()
    deadline = time.monotonic() + grace
    while True:
        _reap()
        left = children(os.getpid())
        if not left:
            return len(ended)
        sig = signal.SIGTERM if time.monotonic() < deadline else signal.SIGKILL
        for pid in left:
            if pid not in ended or sig == signal.SIGKILL:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                ended.add(pid)
        time.sleep(0.05)


def supervised(argv: Sequence[str]) -> int | None:
    """Run ``newsdesk ARGV`` as the child of this process, a subreaper, and end whatever it
    leaves behind; its exit status. None where there is no supervising to do (already
    supervised, or not on Linux): the caller then runs the command itself."""
    if os.environ.get(ENV_FLAG) or not sys.platform.startswith("linux"):
        return None
    if not _prctl(PR_SET_CHILD_SUBREAPER, 1):
        return None
    me = os.getpid()
    child = subprocess.Popen(
        [sys.executable, "-m", "cli", *argv],
        env={**os.environ, ENV_FLAG: str(me)},
        preexec_fn=lambda: _die_with_supervisor(me),
    )

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    # Ctrl-C reaches the whole foreground process group, the command included: not forwarded
    # a second time.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    code = child.wait()
    left = end_orphans()
    if code < 0:
        name = signal.Signals(-code).name
        print(
            f"newsdesk: the command's process was killed ({name}"
            + (", out of memory?" if -code == signal.SIGKILL else "")
            + f"); {left} process(es) it had started were stopped; the next run records it"
            " as abandoned",
            file=sys.stderr,
        )
        return 128 - code
    return code
