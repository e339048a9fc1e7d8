"""A progress display for interactive runs: one bar per stage (feeds, pages) on the terminal,
nothing when stderr is not a terminal (cron, CI, logs), where the per-feed and per-batch log
lines already say everything.

The flow reports through ``advance``; only ``newsdesk run``/``demo`` switch a display on, so the
flow and its tests never depend on it. The display is one per process, like a logging handler:
the tasks only write to it, nothing reads it back, and the command that owns the terminal
(not the flow, whose parameters are a deployment's strings) decides whether it is on.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

_display: Progress | None = None
_tasks: dict[str, TaskID] = {}


def start(stage: str, total: int) -> None:
    """A stage begins with this many items (ignored when no display is on)."""
    if _display is not None and total:
        _tasks[stage] = _display.add_task(stage, total=total)


def advance(stage: str, done: int) -> None:
    if _display is not None and stage in _tasks:
        _display.advance(_tasks[stage], done)


@contextlib.contextmanager
def display(console: Console | None = None) -> Iterator[bool]:
    """Show bars on ``console`` (default: stderr, only if it is a terminal); yields whether a
    display is on."""
    global _display
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield False
        return
    bars = Progress(
        TextColumn("{task.description:>6}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        redirect_stderr=console.file is sys.stderr,
    )
    _display = bars
    _tasks.clear()
    try:
        with bars, _logs_through(console):
            yield True
    finally:
        _display = None
        _tasks.clear()


@contextlib.contextmanager
def _logs_through(console: Console) -> Iterator[None]:
    """Prefect's console handlers print through the bars' console while they are shown: rich
    then writes each log line above the bars, instead of into the middle of a bar's line
    (``0:00:0219:00:52.743 | INFO …``), which is what two consoles on one terminal do."""
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler

    swapped = []
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", ()):
            if isinstance(handler, PrefectConsoleHandler) and handler.console is not console:
                swapped.append((handler, handler.console))
                handler.console = console
    try:
        yield
    finally:
        for handler, previous in swapped:
            handler.console = previous
