"""Process tuning a night needs, each measured (see the docstrings), in one place."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Executor

import duckdb

from ingest.extract import ExtractionPool, extraction_pool, pool_workers
from warehouse.db import single_threaded

# Below this many new pages a process pool costs more to start than it saves.
POOL_MIN_PAGES = 24
POOL_SWITCH_INTERVAL = 0.0005  # seconds, while extraction workers are fed


@functools.cache
def freeze_startup_heap() -> None:
    """Move what the process holds before its first run (Prefect's client and engine, pydantic
    models, the modules: 320,000 objects in the benchmark's flow process) out of the garbage
    collector's reach, once.

    The run's own objects soon trigger a full collection, which walked all of them holding the
    GIL: 0.37 s on two busy cores at the start of the end-to-end benchmark, page fetching and
    the feeding of the extraction workers stopped meanwhile. What is alive at start-up lives as
    long as the process anyway; later collections walk the run's objects only."""
    gc.freeze()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


def trim_heap() -> None:
    """Hand the heap memory freed by a stored batch back to the OS. glibc keeps freed pages
    mapped, and each batch frees tens of MB of page bodies allocated by another thread: the
    flow process peaked at 1,010 MB for 5,000 pages without this, 907 MB with it."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def feed_pool(feeds: int, configured: int = 0) -> ExtractionPool | None:
    """The extraction pool started before the feeds, when they are many enough to be fetched
    in its processes (``pipeline.feeds.POOL_MIN_FEEDS``); the night's pages use it next."""
    from pipeline.feeds import POOL_MIN_FEEDS

    workers = pool_workers(configured)
    return extraction_pool(workers) if feeds >= POOL_MIN_FEEDS and workers > 1 else None


def pool_for(pages: int, configured: int = 0) -> Executor | None:
    """An extraction pool when ``pages`` are enough to pay for starting one."""
    workers = pool_workers(configured)
    return extraction_pool(workers) if pages >= POOL_MIN_PAGES and workers > 1 else None


@contextlib.contextmanager
def feeding(
    pool: Executor | None, con: duckdb.DuckDBPyConnection, shutdown: bool = True
) -> Iterator[None]:
    """While ``pool``'s workers have the cores: DuckDB on one thread (``single_threaded``),
    and a short GIL switch interval, since the threads that feed the workers wait for the GIL
    while the fetching thread runs (at the default 5 ms per hand-over, 13 chunks took
    0.1-0.15 s to reach idle workers; 0.03 s at 0.5 ms). The pool is shut down at the end,
    unless ``shutdown`` is false (its owner does it)."""
    if pool is None:
        yield
        return
    interval = sys.getswitchinterval()
    sys.setswitchinterval(POOL_SWITCH_INTERVAL)
    try:
        with single_threaded(con):
            yield
    finally:
        if shutdown:
            pool.shutdown()
        sys.setswitchinterval(interval)
