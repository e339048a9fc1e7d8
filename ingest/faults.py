"""Crash points for the crash-test matrix (tests/test_crash.py).

``NEWSDESK_CRASH_AT=name`` (or ``name:n`` for its n-th passage) makes the process SIGKILL itself
at that point, the way the OOM killer or a reboot would: no cleanup, no ``finally``. Like
fail-rs's ``FAILPOINTS``, the hook is read from the environment so it reaches every stage and
worker without threading a test setting through production signatures; unset, a crash point is
one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

POINTS = (
    "feeds-fetched",  # feed bodies fetched, nothing parsed or recorded
    "feeds-recorded",  # feed state and the entry queue committed, no page fetched
    "pages-fetched",  # a batch of pages fetched, not extracted
    "extracted",  # a batch extracted, not stored
    "mid-write",  # inside a batch's transaction, rows inserted, not committed
    "stored",  # every batch stored, no alert delivered
    "sent",  # a digest accepted by the channel, its delivery not recorded
    "finished",  # run recorded as completed, reader snapshot not published
)

_passed: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """Die here when the environment asks for it."""
    wanted = os.environ.get("NEWSDESK_CRASH_AT")
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _passed[name] += 1
    if _passed[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
