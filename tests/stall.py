"""Work for pool tests, importable by pool workers (the tests folder is on their path).

``stuck`` blocks inside C code (a read from a pipe nobody writes to), where neither the
extraction time limit nor any Python-level interruption reaches it: only killing the process
ends it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

PIDS = "stall-pids"


def work(items: Sequence[str]) -> list[str]:
    out = []
    for item in items:
        if item.startswith("stuck"):
            reading, _writing = os.pipe()
            os.read(reading, 1)
        if item.startswith("die"):
            os._exit(1)
        out.append(f"{item.upper()} by {os.getpid()}")
    return out
