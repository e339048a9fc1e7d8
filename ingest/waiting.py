"""Bounded waits that keep their bound under a shifted clock.

CPython's timed lock waits (``Event.wait``, ``Future.result(timeout=)``,
``concurrent.futures.wait(timeout=)``, ``threading.Timer``) hand an absolute CLOCK_MONOTONIC
deadline to ``sem_clockwait``. Under libfaketime 0.9.10 (Debian's ``faketime``, which
``make test-clock`` runs the suite under, to show that nothing depends on the date) the
process reads a shifted monotonic clock that the kernel's wait does not use, and such a wait
never times out: a page-time limit would never fire, a batch would wait for its slowest host.
``time.sleep``, ``select`` and asyncio's timeouts are unaffected, so the waits whose bound
matters poll, every 10 ms, which costs nothing next to what they wait for.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TypeVar

T = TypeVar("T")
STEP = 0.01


def wait_futures(
    futures: Iterable[concurrent.futures.Future[T]], timeout: float, first: bool = False
) -> None:
    """Return when every future (``first``: any) is done, or after ``timeout`` seconds."""
    pending = list(futures)
    deadline = time.monotonic() + timeout
    while pending:
        done = [f for f in pending if f.done()]
        if done and first:
            return
        pending = [f for f in pending if not f.done()]
        if not pending or time.monotonic() >= deadline:
            return
        time.sleep(STEP)


def wait_until(done: Callable[[], bool], timeout: float) -> None:
    """Return once ``done()`` holds, or after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(STEP)


def result_within(future: concurrent.futures.Future[T], timeout: float) -> T:
    """``future.result()``, or ``TimeoutError`` after ``timeout`` seconds."""
    wait_futures([future], timeout)
    if not future.done():
        raise TimeoutError(f"not done after {timeout:g} s")
    return future.result()


class _Watchdog:
    """One thread per process that raises an exception into threads past their deadline (an
    asynchronous exception, which the interpreter raises at the thread's next bytecode).

    Deadlines are in the watched thread's own CPU time: what a pathological page costs is CPU,
    and a busy machine (another night, a backup, the tests) stretches a page's wall time but
    not its CPU time. A wall-clock limit gave up 6 of 20 pages of 9.5 MB with a second night
    running on the two cores; each needs about 4 s of CPU."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.deadlines: dict[int, tuple[int, float, type[BaseException]]] = {}
        self.fired: set[int] = set()
        self.pid = -1

    def _ensure_running(self) -> None:
        if self.pid != os.getpid():  # none yet, or this process was forked from one that had
            self.pid = os.getpid()
            threading.Thread(target=self._watch, name="newsdesk-watchdog", daemon=True).start()

    def _watch(self) -> None:
        while True:
            time.sleep(STEP * 2)
            with self.lock:
                for ident, (clock, deadline, error) in list(self.deadlines.items()):
                    if time.clock_gettime(clock) >= deadline:
                        del self.deadlines[ident]
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(
                            ctypes.c_ulong(ident), ctypes.py_object(error)
                        )
                        self.fired.add(ident)

    @contextmanager
    def limit(self, seconds: float, error: type[BaseException]) -> Iterator[None]:
        ident = threading.get_ident()
        clock = time.pthread_getcpuclockid(ident)
        with self.lock:
            self._ensure_running()
            self.deadlines[ident] = (clock, time.clock_gettime(clock) + seconds, error)
        try:
            yield
        finally:
            with self.lock:
                self.deadlines.pop(ident, None)
                if ident in self.fired:
                    self.fired.discard(ident)
                    # Raised or not yet: an exception still pending must not escape later.
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)


_WATCHDOG = _Watchdog()


def raise_after(seconds: float, error: type[BaseException]) -> AbstractContextManager[None]:
    """Raise ``error`` in this thread once it has spent ``seconds`` of CPU time in the block.

    Works in any thread (a pool worker's main thread, a task thread of the flow) where a
    signal-based alarm would not. Only Python code is interrupted: a thread blocked inside C
    sees the exception when it comes back (ingest/extract.py's pool kills such workers)."""
    return _WATCHDOG.limit(seconds, error)
